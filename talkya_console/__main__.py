from talkya_console.cli import main

raise SystemExit(main())
