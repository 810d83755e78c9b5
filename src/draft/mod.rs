//! The data paragraphs of the county's annual report, in the seeds' wording, from the county
//! figures. No polars or workbook types here: the input is [`crate::aggregate::Figures`].
