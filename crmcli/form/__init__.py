"""The web form that turns a prospect's details into a new record (`crm form`)."""
