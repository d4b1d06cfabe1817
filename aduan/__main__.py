from aduan.cli.main import app

app(prog_name="aduan")
