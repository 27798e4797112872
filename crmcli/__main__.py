from crmcli.cli.main import run

run()
