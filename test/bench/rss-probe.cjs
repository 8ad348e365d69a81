// Preloaded (node -r) into every Node process the benchmark times: reports the process's peak
// resident set size (getrusage ru_maxrss, in KiB) on file descriptor 3 as it exits. Node cannot read
// a child's rusage, and /usr/bin/time is not on every machine, so the child reports its own.
'use strict';
const { writeSync } = require('node:fs');

process.on('exit', () => {
  try {
    writeSync(3, `${process.resourceUsage().maxRSS}\n`);
  } catch {
    // No descriptor 3: the process was started outside the benchmark.
  }
});
