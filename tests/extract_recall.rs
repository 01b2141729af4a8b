//! Article text the detector must not drop (issue 8, recall): each test
//! holds a small page written for it, shaped the way article templates set
//! the text that earlier rules lost.

use redline::extract::{ExtractOptions, extract};

/// The body text the detector extracts from `html`.
fn body(html: &str) -> String {
    extract(html, &ExtractOptions::default())
        .expect("the page has an article")
        .body_text()
}

/// Three paragraphs of running prose, enough for any pass to accept.
const PROSE: &str = "<p>The council voted on Tuesday to reopen the harbour bridge to \
    cyclists, after two years of repairs, a public consultation and a long argument \
    about the cost of the new railings, which rose twice.</p>\
    <p>Engineers said the deck, the cables and the lighting had been replaced, and that \
    the bridge would close again for one weekend in spring, when the last coat of paint \
    goes on, weather permitting.</p>\
    <p>Residents of the old town, who had asked for a ferry while the bridge was shut, \
    said they would wait to see whether the promised bus lane, the new crossings and the \
    wider pavements arrive as well.</p>";

/// A page whose lead (standfirst) sits in the article's header, a class
/// that otherwise marks chrome, beside the headline and a share bar.
fn header_lead_page(lead_class: &str) -> String {
    format!(
        "<html><body><nav><a href='/'>Home</a> <a href='/city'>City</a></nav>\
         <article><div class='article-header'><h1>Bridge reopens</h1>\
         <p class='{lead_class}'>The harbour bridge opens to cyclists again after two \
         years, the council decided.</p>\
         <div class='share-bar'><a href='/s'>Share this story with your friends</a></div>\
         </div><div class='article-body'>{PROSE}</div></article>\
         <footer><p>Copyright the city paper, all rights reserved.</p></footer></body></html>"
    )
}

#[test]
fn a_lead_set_in_the_article_header_is_kept() {
    let text = body(&header_lead_page("standfirst"));
    assert!(
        text.starts_with("The harbour bridge opens to cyclists again"),
        "{text}"
    );
    assert!(text.contains("wider pavements arrive as well."), "{text}");
    assert!(!text.contains("Share this story"), "{text}");
}

#[test]
fn other_header_text_stays_out_with_the_header() {
    // The same header without a lead: its paragraph is chrome, as before.
    let text = body(&header_lead_page("note"));
    assert!(
        !text.contains("opens to cyclists again"),
        "header text without a lead's class stays out: {text}"
    );
    assert!(text.starts_with("The council voted"), "{text}");
}

/// A recipe page: the instructions as prose in one column, the
/// ingredients beside them as a list marked with microdata, repeated
/// further down for small screens.
fn recipe_page() -> String {
    let items = "<li itemprop='recipeIngredient'>200 g flour</li>\
                 <li itemprop='recipeIngredient'>2 eggs</li>\
                 <li itemprop='recipeIngredient'>1 pinch of salt</li>";
    format!(
        "<html><body><nav><a href='/'>Recipes</a> <a href='/cakes'>Cakes</a></nav>\
         <div class='recipe'><div class='columns'>\
         <div class='side-column'><h3>You need</h3><ul>{items}</ul></div>\
         <div class='steps'>{PROSE}</div></div>\
         <div class='mobile-only'><ul>{items}</ul></div></div>\
         <footer><p>Copyright the recipe site, all rights reserved.</p></footer></body></html>"
    )
}

#[test]
fn marked_ingredients_beside_the_instructions_are_kept_once() {
    let text = body(&recipe_page());
    assert!(text.contains("wider pavements arrive as well."), "{text}");
    for item in ["200 g flour", "2 eggs", "1 pinch of salt"] {
        assert_eq!(text.matches(item).count(), 1, "{item} once: {text}");
    }
}

/// A recipe page whose ingredients only JSON-LD states: the visible list
/// sits in a column of its own, short lines without commas, apart from
/// the instructions.
fn stated_recipe_page(stated: &str) -> String {
    let item = |amount: &str, name: &str| {
        format!(
            "<div class='row'><div class='amount'>{amount}</div><div class='name'>{name}</div></div>"
        )
    };
    let items: String = [
        ("200 g", "flour"),
        ("100 g", "butter"),
        ("2", "eggs"),
        ("1 tsp", "baking powder"),
    ]
    .iter()
    .map(|(a, n)| item(a, n))
    .collect();
    format!(
        "<html><head><script type='application/ld+json'>{{\"@type\":\"Recipe\",\
         \"name\":\"Plain cake\",\"recipeIngredient\":[{stated}]}}</script></head><body>\
         <nav><a href='/'>Home</a> <a href='/cakes'>Cakes</a></nav>\
         <div class='sidebar'><div class='box'>{items}</div></div>\
         <div class='instructions'>{PROSE}</div>\
         <footer><p>Copyright the baking site, all rights reserved.</p></footer></body></html>"
    )
}

#[test]
fn a_list_showing_the_ingredients_json_ld_states_is_kept() {
    let text = body(&stated_recipe_page(
        "\"200 g flour\",\"100 g butter\",\"2 eggs\",\"1 tsp baking powder\"",
    ));
    assert!(text.contains("flour"), "{text}");
    assert!(text.contains("baking powder"), "{text}");
    assert!(text.contains("wider pavements arrive as well."), "{text}");
    assert!(!text.contains("Cakes"), "{text}");
}

#[test]
fn a_side_list_json_ld_does_not_state_stays_out() {
    // The same column when JSON-LD states other ingredients: furniture.
    let text = body(&stated_recipe_page(
        "\"300 g sugar\",\"1 l milk\",\"a lemon\"",
    ));
    assert!(!text.contains("baking powder"), "{text}");
    assert!(text.starts_with("The council voted"), "{text}");
}

/// A graphics story: the article's prose, then a section holding one
/// paragraph of its own above its charts, each chart with a download
/// link; `note` is that paragraph (empty for none).
fn charts_page(note: &str) -> String {
    let chart = |n: u32| {
        format!(
            "<figure class='chart'><img src='/charts/{n}.png' alt=''>\
             <div><a href='/charts/{n}.png'>Download chart</a></div></figure>"
        )
    };
    let charts: String = (1..=6).map(chart).collect();
    format!(
        "<html><body><nav><a href='/'>Home</a> <a href='/maps'>Maps</a></nav>\
         <article><h1>Bridge traffic in charts</h1>{PROSE}\
         <div class='wrap'><section class='charts'>{note}{charts}</section></div></article>\
         <footer><p>Copyright the city paper, all rights reserved.</p></footer></body></html>"
    )
}

#[test]
fn prose_set_among_a_story_s_charts_is_kept() {
    let text = body(&charts_page(
        "<p><em>Only the crossings counted on weekdays are shown, since the \
         weekend counters on both banks were switched off during the repairs \
         of the deck.</em></p>",
    ));
    assert!(
        text.contains("switched off during the repairs of the deck."),
        "{text}"
    );
    assert!(text.contains("wider pavements arrive as well."), "{text}");
    assert!(!text.contains("Download chart"), "{text}");
}

#[test]
fn a_gallery_without_prose_of_its_own_still_goes() {
    let text = body(&charts_page("<p>Charts: city traffic office</p>"));
    assert!(!text.contains("Download chart"), "{text}");
    assert!(!text.contains("traffic office"), "{text}");
    assert!(text.ends_with("wider pavements arrive as well."), "{text}");
}
