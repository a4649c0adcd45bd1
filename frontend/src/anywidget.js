// The part of anywidget's front-end (https://anywidget.dev) the dashboards use: a model whose `_esm` is an
// ES module's source, and a view that calls that module's `render({ model, el })`.
import { DOMWidgetModel, DOMWidgetView } from "@jupyter-widgets/base";

const modules = new Map();  // one module instance per source: module-level state is shared by all views
function loadModule(source) {
  if (!modules.has(source)) {
    const looksLikeUrl = /^(https?:\/\/|\/|\.\/)\S*$/.test(source.trim());
    const url = looksLikeUrl ? source.trim() : URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    modules.set(source, import(/* webpackIgnore: true */ url).then((m) => m.default || m));
  }
  return modules.get(source);
}

// the object anywidget hands to render(): the model's data and messages, nothing of Backbone's
function facade(model) {
  const wrapped = new Map();
  const wrap = (name, callback) => {
    if (!name.startsWith("msg:custom")) return callback;
    if (!wrapped.has(callback)) wrapped.set(callback, (content, buffers) => callback(content, buffers || []));
    return wrapped.get(callback);
  };
  return {
    get: (name) => model.get(name),
    set: (name, value) => model.set(name, value),
    save_changes: () => model.save_changes(),
    send: (content, callbacks, buffers) => model.send(content, callbacks, buffers),
    on: (name, callback) => model.on(name, wrap(name, callback)),
    off: (name, callback) => (callback ? model.off(name, wrap(name, callback)) : model.off(name)),
    widget_manager: model.widget_manager,
  };
}

export class AnyModel extends DOMWidgetModel {
  initialize(attributes, options) {
    super.initialize(attributes, options);
    this.anywidget = facade(this);
    this.esmModule = loadModule(this.get("_esm")).then(async (m) => {
      if (typeof m.initialize === "function") this.cleanup = await m.initialize({ model: this.anywidget });
      return m;
    });
  }
  destroy(options) {
    if (typeof this.cleanup === "function") this.cleanup();
    return super.destroy(options);
  }
}

export class AnyView extends DOMWidgetView {
  async render() {
    const m = await this.model.esmModule;
    const render = typeof m === "function" ? m : m.render;
    if (typeof render === "function") this.cleanup = await render({ model: this.model.anywidget, el: this.el });
  }
  remove() {
    if (typeof this.cleanup === "function") this.cleanup();
    return super.remove();
  }
}
