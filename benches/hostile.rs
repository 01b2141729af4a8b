//! Hostile pages: what each shape of page that stresses an HTML parser
//! costs `redline::extract::extract`, in CPU time and peak memory, at sizes
//! up to the default 10 MiB cap. The goal (issue 9): no page costs more
//! than 2 s of CPU or 20 times its size in memory.
//!
//! Each case runs in a child process (this benchmark re-executed with
//! `--case SHAPE BYTES`), so that its peak memory is its own: the child
//! builds the page, resets its high-water mark (`/proc/self/clear_refs`),
//! extracts, and reports its CPU time (`/proc/thread-self/schedstat`) and
//! peak resident memory (`VmHWM` in `/proc/self/status`), and what it held
//! before building the page (`VmRSS`), so that the ratio printed is what
//! the page costs over the process's base, per byte of page. Linux only.
//!
//! `cargo bench --bench hostile` runs every case; `cargo bench --bench
//! hostile -- SHAPE` only the shapes whose name contains SHAPE.

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use std::fmt::Write as _;
use std::process::Command;

use redline::extract::{ExtractOptions, extract};

const MIB: usize = 1024 * 1024;
/// The sizes tried: the largest is just under the default `max_body`.
const SIZES: [usize; 3] = [MIB, 4 * MIB, 10 * MIB - 1024];
/// The goals, per page.
const CPU_GOAL_S: f64 = 2.0;
const MEMORY_GOAL_RATIO: f64 = 20.0;

/// A shape of hostile page: its name and how to build one of about `size` bytes.
struct Shape {
    name: &'static str,
    build: fn(usize) -> String,
}

/// Every shape, in the order printed.
fn shapes() -> [Shape; 11] {
    [
        Shape {
            name: "nested-div",
            build: |size| nested("<div>", "</div>", size),
        },
        Shape {
            name: "nested-span-div",
            build: |size| nested("<span><div>", "</div></span>", size),
        },
        Shape {
            name: "unclosed-bold",
            build: |size| format!("<p>{}text</p>", "<b>".repeat(size / 3)),
        },
        Shape {
            name: "siblings",
            build: |size| "<p>word</p>".repeat(size / 11),
        },
        Shape {
            name: "huge-paragraph",
            build: |size| {
                format!(
                    "<article><p>{}</p></article>",
                    "lorem ipsum dolor sit amet, ".repeat(size / 28)
                )
            },
        },
        Shape {
            name: "huge-attribute-list",
            build: huge_attributes,
        },
        Shape {
            name: "many-attributes",
            build: many_attributes,
        },
        Shape {
            name: "void-tags",
            build: |size| format!("<p>{}</p>", "<br>".repeat(size / 4)),
        },
        Shape {
            name: "comments",
            build: |size| format!("<p>text</p>{}", "<!---->".repeat(size / 7)),
        },
        Shape {
            name: "stray-end-tags",
            build: |size| {
                let open = "<span>".repeat(500);
                format!("{open}text{}", "</x>".repeat((size - open.len()) / 4))
            },
        },
        Shape {
            name: "reconstructed-formatting",
            build: reconstruct,
        },
    ]
}

fn nested(open: &str, close: &str, size: usize) -> String {
    let depth = size / (open.len() + close.len());
    format!("{}deep text{}", open.repeat(depth), close.repeat(depth))
}

fn huge_attributes(size: usize) -> String {
    let mut page = String::with_capacity(size + 64);
    page.push_str("<p");
    let mut i = 0;
    while page.len() < size {
        let _ = write!(page, " a{i}=\"v\"");
        i += 1;
    }
    page.push_str(">text</p>");
    page
}

fn many_attributes(size: usize) -> String {
    let tag: String = (0..50).map(|i| format!(" data-a{i}=\"{i}\"")).collect();
    let element = format!("<span{tag}>x</span>");
    element.repeat(size / element.len())
}

/// Misnested formatting elements, which the tree builder re-creates for
/// every later paragraph (the "reconstruct the active formatting elements"
/// step of the HTML standard).
fn reconstruct(size: usize) -> String {
    let formatting: String = (0..100).map(|i| format!("<b id=b{i}>")).collect();
    let head = format!("<div>{formatting}</div>");
    format!("{head}{}", "<p>x</p>".repeat((size - head.len()) / 8))
}

/// CPU time of this thread so far, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    let nanos: f64 = stat.split_whitespace().next().unwrap().parse().unwrap();
    nanos / 1e9
}

/// A memory figure of this process from `/proc/self/status`, in bytes:
/// `VmHWM` (peak resident) or `VmRSS` (resident now).
fn memory(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    let kib: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// The child: builds one page, extracts it, prints "CPU_S PEAK_BYTES
/// BASE_BYTES PAGE_BYTES BLOCKS", where the base is what the process held
/// before the page existed.
fn run_case(shape: &str, size: usize) {
    let base = memory("VmRSS:");
    let shape = shapes().into_iter().find(|s| s.name == shape).unwrap();
    let page = (shape.build)(size);
    // Resets the high-water mark to the current use: the page counts, its
    // building does not.
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let start = cpu_seconds();
    let result = extract(&page, &ExtractOptions::default());
    let cpu = cpu_seconds() - start;
    let blocks = result.map_or(0, |a| a.blocks.len());
    let peak = memory("VmHWM:");
    println!("{cpu:.3} {peak} {base} {} {blocks}", page.len());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--case") {
        run_case(&args[at + 1], args[at + 2].parse().unwrap());
        return;
    }
    let filter = args.iter().skip(1).find(|a| !a.starts_with("--"));
    let me = std::env::current_exe().unwrap();
    // The ratio counts what the page costs: the peak over what the process
    // held before building it (the binary, the allocator), over its size.
    println!("| page | size MB | CPU s | peak MB | (peak - base) / size | blocks | goal |");
    println!("|---|---|---|---|---|---|---|");
    for shape in shapes()
        .into_iter()
        .filter(|s| filter.is_none_or(|f| s.name.contains(f.as_str())))
    {
        for size in SIZES {
            let output = Command::new(&me)
                .args(["--case", shape.name, &size.to_string()])
                .output()
                .unwrap();
            let line = String::from_utf8_lossy(&output.stdout);
            let fields: Vec<f64> = line
                .split_whitespace()
                .filter_map(|f| f.parse().ok())
                .collect();
            let [cpu, peak, base, bytes, blocks] = fields[..] else {
                println!(
                    "| {} | {:.1} | failed: {} |",
                    shape.name,
                    size as f64 / 1e6,
                    String::from_utf8_lossy(&output.stderr).trim()
                );
                continue;
            };
            let ratio = (peak - base) / bytes;
            let met = cpu <= CPU_GOAL_S && ratio <= MEMORY_GOAL_RATIO;
            println!(
                "| {} | {:.1} | {cpu:.2} | {:.0} | {ratio:.1} | {blocks} | {} |",
                shape.name,
                bytes / 1e6,
                peak / 1e6,
                if met { "met" } else { "MISSED" }
            );
        }
    }
}
