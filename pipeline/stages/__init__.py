"""One module per DVC stage: a thin ``main()`` (load params, read, call pure functions, write)."""
