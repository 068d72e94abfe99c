from ascent.cli.main import run

run()
