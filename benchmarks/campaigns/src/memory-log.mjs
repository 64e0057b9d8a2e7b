// `BENCH_MEMORY_LOG=1`: loaded into the gateway with `--import`, its memory every 2 s on stderr.
const mb = (bytes) => Math.round(bytes / 1048576);
setInterval(() => {
  const usage = process.memoryUsage();
  process.stderr.write(
    `gateway memory: rss ${mb(usage.rss)} heap ${mb(usage.heapUsed)}/${mb(usage.heapTotal)} external ${mb(usage.external)} arrayBuffers ${mb(usage.arrayBuffers)}\n`,
  );
}, 2000).unref();
