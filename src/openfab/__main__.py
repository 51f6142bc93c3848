from openfab.cli import main

main()
