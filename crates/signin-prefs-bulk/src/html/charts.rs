//! The pages' charts as geometry for inline SVG: horizontal bars (one row per label, a bar per
//! series) and the run's pace over time. The templates only place what is computed here.

use serde::Serialize;

use crate::pace::BatchPace;

/// A bar chart's label column: wide enough for its longest label, at about this much per
/// character of 12px text, within these bounds; then the bars' room, in SVG units.
const LABEL_CHAR_WIDTH: f64 = 6.8;
const LABEL_WIDTH: (f64, f64) = (80.0, 340.0);
const BAR_ROOM: f64 = 380.0;
/// Height of one bar, and the gap after each row.
const BAR_HEIGHT: f64 = 14.0;
const ROW_GAP: f64 = 8.0;

/// A horizontal bar chart.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct BarChart {
    pub(crate) width: f64,
    pub(crate) height: f64,
    pub(crate) label_width: f64,
    pub(crate) series: Vec<String>,
    pub(crate) rows: Vec<BarRow>,
}

/// One label's bars.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct BarRow {
    pub(crate) label: String,
    /// The label's baseline.
    pub(crate) y: f64,
    pub(crate) bars: Vec<Bar>,
}

/// One bar: its place and size, its value, and its series (0, 1, …) for its colour.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Bar {
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) width: f64,
    pub(crate) height: f64,
    pub(crate) value: u64,
    pub(crate) series: usize,
    /// Where the value's text goes, after the bar.
    pub(crate) text_x: f64,
    pub(crate) text_y: f64,
}

impl BarChart {
    /// Bars for `rows` of (label, one value per series), scaled to the largest value.
    pub(crate) fn new(series: &[&str], rows: &[(String, Vec<u64>)]) -> Self {
        let max = rows
            .iter()
            .flat_map(|(_, values)| values.iter().copied())
            .max()
            .unwrap_or(0)
            .max(1);
        let longest = rows
            .iter()
            .map(|(label, _)| label.chars().count())
            .max()
            .unwrap_or(0);
        let label_width =
            (longest as f64 * LABEL_CHAR_WIDTH + 12.0).clamp(LABEL_WIDTH.0, LABEL_WIDTH.1);
        let row_height = BAR_HEIGHT * series.len().max(1) as f64 + ROW_GAP;
        let placed = rows
            .iter()
            .enumerate()
            .map(|(index, (label, values))| {
                let top = ROW_GAP / 2.0 + index as f64 * row_height;
                BarRow {
                    label: label.clone(),
                    y: top + row_height / 2.0,
                    bars: values
                        .iter()
                        .enumerate()
                        .map(|(series, value)| {
                            let y = top + series as f64 * BAR_HEIGHT;
                            let width = BAR_ROOM * (*value as f64) / (max as f64);
                            Bar {
                                x: label_width,
                                y,
                                width,
                                height: BAR_HEIGHT - 2.0,
                                value: *value,
                                series,
                                text_x: label_width + width + 4.0,
                                text_y: y + BAR_HEIGHT - 4.0,
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        Self {
            width: label_width + BAR_ROOM + 70.0,
            height: ROW_GAP + rows.len() as f64 * row_height,
            label_width,
            series: series.iter().map(|name| (*name).to_owned()).collect(),
            rows: placed,
        }
    }
}

/// Size of the pace chart and of its margins (left for the axis labels, bottom for the times).
const PACE_WIDTH: f64 = 640.0;
const PACE_HEIGHT: f64 = 220.0;
const PACE_LEFT: f64 = 48.0;
const PACE_BOTTOM: f64 = 28.0;
const PACE_TOP: f64 = 10.0;
/// At most this many time slots: enough to see the run's shape, few enough to read.
const MAX_SLOTS: u64 = 60;

/// The run's pace over time: writes per second as a line, throttled answers as bars, per slot.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PaceChart {
    pub(crate) width: f64,
    pub(crate) height: f64,
    pub(crate) left: f64,
    pub(crate) top: f64,
    pub(crate) bottom: f64,
    /// The writes-per-second line, as SVG `points`, and its points alone (a run of one slot
    /// has a point and no line).
    pub(crate) line: String,
    pub(crate) dots: Vec<(f64, f64)>,
    /// Throttled answers per slot, scaled to the same height as the line's peak.
    pub(crate) throttled: Vec<Rect>,
    pub(crate) x_ticks: Vec<Tick>,
    pub(crate) y_ticks: Vec<Tick>,
    /// Seconds from the first answer to the last.
    pub(crate) seconds: f64,
    pub(crate) slot_seconds: f64,
    pub(crate) writes: u64,
    pub(crate) applied: u64,
    pub(crate) throttled_total: u64,
    pub(crate) retries: u64,
    pub(crate) batches: usize,
    pub(crate) mean_rate: f64,
    pub(crate) peak_rate: f64,
    pub(crate) peak_throttled: u64,
}

/// A rectangle.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Rect {
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) width: f64,
    pub(crate) height: f64,
    pub(crate) value: u64,
}

/// An axis mark: where, and its text.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Tick {
    pub(crate) at: f64,
    pub(crate) text: String,
}

impl PaceChart {
    /// The chart of `pace` (in the order the answers came); `None` when the journal recorded
    /// none (journals written before pace was recorded, or a run that sent nothing).
    pub(crate) fn new(pace: &[BatchPace]) -> Option<Self> {
        let start = pace.iter().map(|batch| batch.at_ms).min()?;
        let end = pace.iter().map(|batch| batch.at_ms).max()?;
        // A slot is at least a second: writes per second over less says little.
        let slot_ms = ((end - start) / MAX_SLOTS + 1).max(1000);
        let slots = usize::try_from((end - start) / slot_ms + 1).unwrap_or(1);
        let mut writes = vec![0_u64; slots];
        let mut throttled = vec![0_u64; slots];
        for batch in pace {
            let slot = usize::try_from((batch.at_ms - start) / slot_ms).unwrap_or(0);
            if let (Some(w), Some(t)) = (writes.get_mut(slot), throttled.get_mut(slot)) {
                *w += u64::from(batch.writes);
                *t += u64::from(batch.throttled);
            }
        }
        let slot_seconds = slot_ms as f64 / 1000.0;
        let rates: Vec<f64> = writes.iter().map(|w| *w as f64 / slot_seconds).collect();
        let peak_rate = rates.iter().copied().fold(0.0, f64::max);
        let peak_throttled = throttled.iter().copied().max().unwrap_or(0);
        let plot_width = PACE_WIDTH - PACE_LEFT - 8.0;
        let plot_height = PACE_HEIGHT - PACE_TOP - PACE_BOTTOM;
        let base = PACE_HEIGHT - PACE_BOTTOM;
        let x_of = |slot: usize| PACE_LEFT + plot_width * (slot as f64 + 0.5) / slots as f64;
        let y_of = |rate: f64| base - plot_height * rate / peak_rate.max(1e-9);
        let dots: Vec<(f64, f64)> = rates
            .iter()
            .enumerate()
            .map(|(slot, rate)| (x_of(slot), y_of(*rate)))
            .collect();
        let line = dots
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect::<Vec<_>>()
            .join(" ");
        let bar_width = (plot_width / slots as f64 * 0.6).clamp(1.0, 24.0);
        let throttled_bars = throttled
            .iter()
            .enumerate()
            .filter(|(_, count)| **count > 0)
            .map(|(slot, count)| {
                let height = plot_height * (*count as f64) / (peak_throttled.max(1) as f64) * 0.9;
                Rect {
                    x: x_of(slot) - bar_width / 2.0,
                    y: base - height,
                    width: bar_width,
                    height,
                    value: *count,
                }
            })
            .collect();
        let seconds = (end - start) as f64 / 1000.0;
        let x_ticks = (0..=4)
            .map(|step| {
                let fraction = f64::from(step) / 4.0;
                Tick {
                    at: PACE_LEFT + plot_width * fraction,
                    text: elapsed(slots as f64 * slot_seconds * fraction),
                }
            })
            .collect();
        let y_ticks = (0..=2)
            .map(|step| {
                let rate = peak_rate * f64::from(step) / 2.0;
                Tick {
                    at: y_of(rate),
                    text: format!("{rate:.1}"),
                }
            })
            .collect();
        let total_writes: u64 = writes.iter().sum();
        Some(Self {
            width: PACE_WIDTH,
            height: PACE_HEIGHT,
            left: PACE_LEFT,
            top: PACE_TOP,
            bottom: base,
            line,
            dots,
            throttled: throttled_bars,
            x_ticks,
            y_ticks,
            seconds,
            slot_seconds,
            writes: total_writes,
            applied: pace.iter().map(|batch| u64::from(batch.applied)).sum(),
            throttled_total: throttled.iter().sum(),
            retries: pace.iter().map(|batch| u64::from(batch.retries)).sum(),
            batches: pace.len(),
            mean_rate: total_writes as f64 / (slots as f64 * slot_seconds),
            peak_rate,
            peak_throttled,
        })
    }
}

/// `90` seconds as `1m30s`; under ten seconds, to a tenth (`2.5s`).
fn elapsed(seconds: f64) -> String {
    if seconds < 10.0 {
        return format!("{seconds:.1}s");
    }
    let whole = seconds.round() as u64;
    match (whole / 3600, whole % 3600 / 60, whole % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn batch(at_ms: u64, writes: u32, throttled: u32) -> BatchPace {
        BatchPace {
            batch: 1,
            at_ms,
            writes,
            applied: writes,
            throttled,
            retries: throttled,
        }
    }

    proptest! {
        /// The chart counts every write and throttled answer once, stays inside its box, and
        /// its peak rate is at least its mean.
        #[test]
        fn the_pace_chart_accounts_for_every_batch(
            batches in prop::collection::vec((0..10_000_000u64, 0..21u32, 0..5u32), 1..200)
        ) {
            let pace: Vec<BatchPace> =
                batches.iter().map(|(at, w, t)| batch(*at, *w, *t)).collect();
            let chart = PaceChart::new(&pace).unwrap();
            prop_assert_eq!(chart.writes, batches.iter().map(|(_, w, _)| u64::from(*w)).sum::<u64>());
            prop_assert_eq!(chart.throttled_total, batches.iter().map(|(_, _, t)| u64::from(*t)).sum::<u64>());
            prop_assert_eq!(chart.throttled.iter().map(|rect| rect.value).sum::<u64>(), chart.throttled_total);
            prop_assert!(chart.peak_rate + 1e-9 >= chart.mean_rate);
            for point in chart.line.split(' ') {
                let (x, y) = point.split_once(',').unwrap();
                let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
                prop_assert!((0.0..=chart.width).contains(&x) && (0.0..=chart.height).contains(&y));
            }
        }
    }

    #[test]
    fn no_pace_means_no_chart() {
        assert!(PaceChart::new(&[]).is_none());
    }

    #[test]
    fn bars_scale_to_the_largest_value() {
        let chart = BarChart::new(
            &["before", "after"],
            &[("sms".into(), vec![10, 0]), ("push".into(), vec![5, 15])],
        );
        let widths: Vec<f64> = chart
            .rows
            .iter()
            .flat_map(|row| row.bars.iter().map(|bar| bar.width))
            .collect();
        assert_eq!(
            widths,
            [BAR_ROOM * 10.0 / 15.0, 0.0, BAR_ROOM / 3.0, BAR_ROOM]
        );
    }
}
