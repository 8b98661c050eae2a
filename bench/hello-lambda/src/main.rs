//! `hello-lambda`: a hello-world `lambda_http` function, built like the real ones (same
//! lambda_http features, same runtime flavour, same release profile) and doing nothing else.
//! `bench/cold_start.sh` measures its init beside every function's: what the Lambda runtime
//! itself costs, so the rest is ours. Not in `template.yaml`: it is never deployed.

use lambda_http::{service_fn, Error, Request};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(|_request: Request| async {
        Ok::<_, Error>("hello, world")
    }))
    .await
}
