from crmcli.cli.start import run

run()
