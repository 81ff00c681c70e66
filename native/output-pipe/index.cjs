'use strict';
// The compiled addon: open(bytes) -> [readFd, writeFd, bytesGranted]. See output_pipe.c.
// A native addon loads only through require().
// eslint-disable-next-line @typescript-eslint/no-require-imports
module.exports = require('./build/Release/output_pipe.node');
