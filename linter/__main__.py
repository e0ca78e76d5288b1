from linter.cli import main_entry

main_entry()
