//! Using heihui as a library: load the model, corpus and decision once, then classify a
//! batch of texts and print each label with its reasons. `Classifier::builtin()` is the model
//! and corpus compiled into heihui; `Classifier::load(model_dir, corpus_dir)` reads others.
//!
//!     cargo run --release --example classify_batch

use heihui::classifier::Classifier;

fn main() -> Result<(), heihui::Error> {
    // A program that runs many batches keeps the forward pass's freed buffers for reuse, as
    // the heihui binary does; one batch does not need it, but it costs nothing.
    heihui::model::allocator::keep_freed_activations();
    let classifier = Classifier::builtin()?;
    let texts = [
        "网贷逾期别慌！专业团队帮你停*息挂账，先服务后收费，加薇信详聊",
        "我是张某的代理人，受委托全权处理其借款事宜，请与我方沟通减免方案",
        "我上个月的还款已经扣了，但账单还显示逾期，麻烦帮我查一下",
    ];
    for (text, result) in texts.iter().zip(classifier.classify(&texts)?) {
        println!(
            "{:<20} {:.2}  {}\n    {}",
            result.verdict.label.name(),
            result.verdict.confidence,
            text,
            result.reason
        );
    }
    Ok(())
}
