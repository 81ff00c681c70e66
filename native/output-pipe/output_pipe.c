// One job: make a pipe whose buffer is large enough that a script writing one line per write()
// does not wait while its reader (StepFlow's event loop) is busy for a few milliseconds.
// Node gives a child's stdio a UNIX socketpair that holds ~280 small writes (~1.4 ms of a tight
// printf loop); a pipe raised with F_SETPIPE_SZ to 1 MB holds ~13,000. Node has no way to make a
// pipe or to call fcntl, hence these few lines of native code.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <node_api.h>

static napi_value fail(napi_env env, const char *what, int error) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(error));
  napi_throw_error(env, error == EMFILE || error == ENFILE ? "EMFILE" : "EPIPE_SETUP", message);
  return NULL;
}

// open(bytes): both ends close-on-exec (the spawn dup2s the write end onto the child's 1 or 2,
// which clears the flag on that copy only). The size asked for is a wish: above
// /proc/sys/fs/pipe-max-size, or past the user's pipe-user-pages-soft, the kernel refuses and the
// pipe keeps its default 64 KB — still three times what a socketpair holds. Returns the size got.
static napi_value open_pipe(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int64_t wanted = 0;
  if (argc < 1 || napi_get_value_int64(env, argv[0], &wanted) != napi_ok || wanted < 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "open(bytes): bytes must be a non-negative number");
    return NULL;
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return fail(env, "pipe2", errno);
  if (wanted > 0) (void)fcntl(fds[1], F_SETPIPE_SZ, (int)(wanted > 0x40000000 ? 0x40000000 : wanted));
  int granted = fcntl(fds[1], F_GETPIPE_SZ);
  napi_value result, value;
  napi_create_array_with_length(env, 3, &result);
  napi_create_int32(env, fds[0], &value);
  napi_set_element(env, result, 0, value);
  napi_create_int32(env, fds[1], &value);
  napi_set_element(env, result, 1, value);
  napi_create_int32(env, granted, &value);
  napi_set_element(env, result, 2, value);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "open", NAPI_AUTO_LENGTH, open_pipe, NULL, &fn);
  napi_set_named_property(env, exports, "open", fn);
  return exports;
}
