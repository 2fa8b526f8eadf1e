-- Shared by every wrk run of the benchmark: print one machine-readable summary line at the end.
-- bench_extra (a JSON object string), when a workload script defines it, is included as "extra".
function bench_report(summary, latency, extra)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d},"extra":%s}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    extra or "null"))
end

done = function(summary, latency, requests)
  bench_report(summary, latency, nil)
end
