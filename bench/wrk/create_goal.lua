-- wrk script: every request is POST /goals with a JSON body, as a client creating a goal sends.
wrk.method = "POST"
wrk.body = '{"name":"Benchmark goal"}'
wrk.headers["Content-Type"] = "application/json"
