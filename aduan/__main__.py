from aduan.cli import app

app(prog_name="aduan")
