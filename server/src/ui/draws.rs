//! The server's side of the UI's [`DrawBackend`]: a draw coupon's figures and "Draw now", with
//! failures logged here, once, and told to the UI as sentences.

use app::{
    contract::draw::{DrawPanel, DrawProof},
    server_fns::backend::{Failure, Refused},
    server_fns::draw_backend::DrawBackend,
};
use sqlx::PgPool;

use crate::{
    db,
    draw::{
        published::{self, Proof},
        run::{self, Outcome},
    },
    live::LiveHub,
};

/// The draws of the admin UI.
pub struct Draws {
    pub pool: PgPool,
    pub live: LiveHub,
}

#[async_trait::async_trait]
impl DrawBackend for Draws {
    async fn draw_panel(&self, name: &str) -> Result<Option<DrawPanel>, Failure> {
        db::draws::panel(&self.pool, name)
            .await
            .map_err(crate::ui::failed("reading a draw"))
    }

    async fn draw_now(&self, actor: &str, name: &str) -> Result<DrawProof, Refused> {
        let failed = |e| Refused::Failed(crate::ui::failed("drawing")(e));
        let rule = |why: &str| Err(Refused::Rule(why.to_owned()));
        match run::draw_now(&self.pool, &self.live, name, actor)
            .await
            .map_err(failed)?
        {
            Outcome::Drawn { .. } | Outcome::AlreadyDrawn => {}
            Outcome::NotFound => return Err(Refused::NotFound("no coupon has this name".into())),
            Outcome::FirstCome => return rule("this coupon is first_come: it has no draw"),
            Outcome::Open => return rule("the entry window has not closed yet"),
            Outcome::BeaconMissing => return rule("this draw waits for its beacon"),
        }
        match published::proof(&self.pool, name).await.map_err(failed)? {
            Proof::Drawn(proof) => Ok(proof),
            _ => Err(Refused::Failed(Failure::Broken)),
        }
    }
}
