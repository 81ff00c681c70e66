{
  "targets": [
    {
      "target_name": "output_pipe",
      "sources": ["output_pipe.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
