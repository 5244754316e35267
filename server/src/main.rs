//! The coupon platform's server. Everything but reading the configuration lives in the library.

use clap::Parser;
use server::{config::Config, startup::Application, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    telemetry::init(&config.log_level);
    let app = Application::build(config).await?;
    app.run_until_stopped(server::shutdown::signal()).await
}
