"""The analysts' web app (`presswatch serve`): server-rendered pages over the
same database the pipeline writes. Entry point: `pipeline.web.app.create_app`."""
