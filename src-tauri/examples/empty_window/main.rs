//! An empty Tauri window: the baseline of the idle-memory figure in `./dev bench`. The same
//! Tauri, WebKitGTK, plugins, security settings and release profile as Relance, one window of
//! the same size, and nothing else: no database, no commands, no UI code. It shows
//! `dist/index.html`, an empty page, or with the argument `hello.html` a page that paints a
//! heading and a line of text on a coloured background (painting costs memory of its own).
fn main() {
    let page = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "index.html".to_string());
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .setup(move |app| {
            tauri::WebviewWindowBuilder::new(app, "main", tauri::WebviewUrl::App(page.into()))
                .title("Empty")
                .inner_size(1280.0, 820.0)
                .build()?;
            Ok(())
        })
        .run(tauri::generate_context!(
            "examples/empty_window/tauri.conf.json"
        ))
        .expect("error while running the empty window");
}
