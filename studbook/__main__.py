from studbook.cli import main

main()
