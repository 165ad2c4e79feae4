//! `heihui quantize`: a model directory whose encoder's dense layers are stored in int8, so
//! that it runs at int8 without quantising as it loads.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use super::args::QuietArg;

/// Write a copy of a model directory with the encoder's dense layers quantised to int8.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The copy's model.safetensors keeps every fp32 tensor and adds, for each \
quantised layer, <layer>.weight_int8 (int8, out x in) and <layer>.weight_scale (f32, one scale \
per output channel); its config.json says \"heihui_precision\": \"int8\". It runs at int8 in \
every command unless --precision fp32 is given.\n\nExamples:\n  heihui quantize \
models/heihui-zh-small --out models/heihui-zh-small-int8\n  heihui label complaints.csv --model \
models/heihui-zh-small-int8"
)]
pub struct Args {
    /// The model directory to quantise (config.json, tokenizer.json, model.safetensors)
    model_dir: PathBuf,
    /// The directory to write (written beside itself and swapped in whole; what it held goes)
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[command(flatten)]
    quiet: QuietArg,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let written = heihui::model::quantize_dir(&args.model_dir, &args.out)?;
    if !args.quiet.quiet {
        eprintln!(
            "quantised {} dense layers of {} to int8 ({} bytes of int8 weights and scales \
             added); wrote {}",
            written.layers,
            args.model_dir.display(),
            written.added_bytes,
            args.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
