-- Workload 13: the receiver's own capacity, POSTing a delivery-sized CloudEvent (appended to report.lua).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/cloudevents+json"
wrk.body = '{"specversion":"1.0","id":"event_01jeq6sw8k3wq2m5x0a7ytb9cz","source":"/v1/Events",' ..
  '"type":"io.senderpools.sender.registered","time":"2026-12-01T07:10:29.412Z",' ..
  '"subject":"wrk","datacontenttype":"application/json",' ..
  '"accountsid":"AC0123456789abcdef0123456789abcdef","actor":"AC0123456789abcdef0123456789abcdef",' ..
  '"data":{"channel":"SMS","address":"+16660000001"}}'
