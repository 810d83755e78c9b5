//! `huizong serve`: resolve the arguments into a [`ServeConfig`] and serve until stopped
//! (`crate::serve`, docs/serve.md).

use crate::cli::{Outcome, ServeArgs};
use crate::pipeline;
use crate::schema::Schema;
use crate::serve::{self, ServeConfig};
use crate::{Error, Result};

pub fn run(args: &ServeArgs) -> Result<Outcome> {
    if !args.inbox.is_dir() {
        return Err(Error::Usage(format!(
            "收表文件夹 {} 不存在；请先建好这个文件夹（可以是空的）",
            args.inbox.display()
        )));
    }
    let paths = [args.inbox.clone()];
    let registry = pipeline::find_registry(args.registry.as_deref(), &paths)?.ok_or_else(|| {
        Error::Usage(
            "需要单位名册：请用 --registry 指定 units.csv，或把 units.csv 放在收表文件夹或其上级"
                .into(),
        )
    })?;
    let links_dir = args.links.clone().unwrap_or_else(|| {
        args.out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(|p| p.to_path_buf())
            .unwrap_or_else(|| ".".into())
    });
    serve::serve(ServeConfig {
        schema: Schema::load(args.schema.schema.as_deref())?,
        registry,
        year: args.year,
        inbox: args.inbox.clone(),
        prior: args.prior.clone(),
        out: args.out.clone(),
        accept: args.accept.clone(),
        listen: args.listen,
        url: args.url.clone(),
        links_dir,
        threads: args.threads,
    })?;
    Ok(Outcome::Clean)
}
