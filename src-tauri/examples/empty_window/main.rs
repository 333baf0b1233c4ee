//! An empty Tauri window: the baseline of the idle-memory figure in `./dev bench`. The same
//! Tauri, WebKitGTK, plugins, security settings and release profile as Relance, one window of
//! the same size showing an empty page (`dist/index.html`) served the way Relance's UI is, and
//! nothing else: no database, no commands, no UI code.
fn main() {
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .run(tauri::generate_context!(
            "examples/empty_window/tauri.conf.json"
        ))
        .expect("error while running the empty window");
}
