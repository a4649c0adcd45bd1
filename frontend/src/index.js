// The dashboards' front-end: draws the ipywidgets of a page Voila has rendered, talking to the page's
// kernel, with ipywidgets' own widget code and JupyterLab's kernel client but without JupyterLab's
// application shell.  Voila's own front-end loads about 4.5 MB of JavaScript before the first widget is
// drawn (about 2 s of a first visit here); this bundle is under 1 MB.  See README.md.
//
// What a page may contain: ipywidgets 8 (@jupyter-widgets/base and controls), anywidgets, and static
// outputs (HTML, DataFrames' HTML among it, PNG images, text, errors); markdown cells arrive as HTML, rendered
// by Voila on the server.  Every page of ours is drawn by this bundle, the analyst notebook too (template
// dash-full: dash plus nbconvert's rules for prose and tables).  Other outputs (LaTeX, plotly's own or other
// mime types, ipywidgets' Output widget) would need Voila's own front-end; no page of ours has them.
import * as base from "@jupyter-widgets/base";
import * as controls from "@jupyter-widgets/controls";
import { ManagerBase } from "@jupyter-widgets/base-manager";
import { Widget } from "@lumino/widgets";
import { MessageLoop } from "@lumino/messaging";
import { KernelConnection } from "@jupyterlab/services/lib/kernel/default";
import { ServerConnection } from "@jupyterlab/services/lib/serverconnection";
import { CommsOverSubshells } from "@jupyterlab/services/lib/kernel/comm";
import "@jupyter-widgets/controls/css/widgets-base.css";
import * as anywidget from "./anywidget.js";

const WIDGET_VIEW = "application/vnd.jupyter.widget-view+json";
const CELL_OUTPUT = 'script[type="application/vnd.voila.cell-output+json"]';
const MODULES = { "@jupyter-widgets/base": base, "@jupyter-widgets/controls": controls, anywidget };

class WidgetManager extends ManagerBase {
  constructor(kernel) {
    super();
    this.kernel = kernel;
    this.views = new Set();
    kernel.registerCommTarget(this.comm_target_name, (comm, msg) =>
      this.handle_comm_open(new base.shims.services.Comm(comm), msg));
    window.addEventListener("resize", () => this.views.forEach((view) =>
      MessageLoop.postMessage(view.luminoWidget, Widget.ResizeMessage.UnknownSize)));
  }

  async loadClass(className, moduleName, moduleVersion) {
    const module = MODULES[moduleName];
    if (!module || !module[className]) throw new Error(`widget class ${className} of ${moduleName}@${moduleVersion} is not in this page's front-end`);
    return module[className];
  }

  async _create_comm(targetName, modelId, data, metadata, buffers) {
    const comm = this.kernel.createComm(targetName, modelId);
    if (data || metadata) comm.open(data, metadata, buffers);
    return new base.shims.services.Comm(comm);
  }

  async _get_comm_info() {
    const reply = await this.kernel.requestCommInfo({ target_name: this.comm_target_name });
    return reply.content.status === "ok" ? reply.content.comms : {};
  }

  async display(modelId, el) {
    const view = await this.create_view(await this.get_model(modelId));
    Widget.attach(view.luminoWidget, el);
    this.views.add(view);
    view.once("remove", () => this.views.delete(view));
  }

  // every widget the kernel holds, by ipywidgets 8's control comm (one round trip)
  restore() {
    return this._loadFromKernel();
  }
}

function showText(text, el, className) {
  const pre = document.createElement("pre");
  if (className) pre.className = className;
  pre.textContent = [].concat(text).join("");
  el.appendChild(pre);
}

function renderOutput(output, el, manager) {
  const data = output.data || {};
  if (data[WIDGET_VIEW]) return manager.display(data[WIDGET_VIEW].model_id, el);
  if (output.output_type === "stream") return showText(output.text, el);
  if (output.output_type === "error") return showText(output.traceback || `${output.ename}: ${output.evalue}`, el, "jp-mod-error");
  if (data["text/html"] !== undefined) {
    el.classList.add("jp-RenderedHTMLCommon");
    el.innerHTML = [].concat(data["text/html"]).join("");
  } else if (data["image/png"] !== undefined) {
    const img = document.createElement("img");
    img.src = "data:image/png;base64," + data["image/png"];
    el.appendChild(img);
  } else if (data["text/plain"] !== undefined) {
    showText(data["text/plain"], el);
  }
}

function notice(text) {
  const el = document.createElement("div");
  el.className = "dash-frontend-error";
  el.setAttribute("role", "alert");
  el.textContent = text;
  document.body.prepend(el);
}

async function main() {
  const config = JSON.parse(document.getElementById("jupyter-config-data").textContent);
  const serverSettings = ServerConnection.makeSettings({ baseUrl: config.baseUrl });
  // comms on the kernel's main shell, one message after another, as with Voila's own front-end (whose
  // JupyterLab services predate kernel subshells): the dashboards' callbacks are not written for threads
  const kernel = new KernelConnection({
    model: { id: config.kernelId, name: "python3" }, serverSettings, handleComms: true,
    commsOverSubshells: CommsOverSubshells.Disabled,
  });
  // as Voila's front-end does: a closed page shuts its kernel down at once (culling is the fallback)
  window.addEventListener("beforeunload", () => {
    const form = new FormData();
    const xsrf = document.cookie.match("\\b_xsrf=([^;]*)\\b");
    form.append("_xsrf", (xsrf && xsrf[1]) || "");
    navigator.sendBeacon(`${config.baseUrl}voila/api/shutdown/${config.kernelId}`, form);
    kernel.dispose();
  });
  const manager = new WidgetManager(kernel);
  // each output is drawn where Voila left its JSON
  const slots = [...document.querySelectorAll(CELL_OUTPUT)].map((script) => {
    const el = document.createElement("div");
    el.className = "jp-OutputArea-output";
    script.replaceWith(el);
    return [JSON.parse(script.textContent), el];
  });
  window.themeLoaded = true;  // Voila's page script shows the cells once the theme is in: ours is in the page
  window.display_cells();
  performance.mark("dash-widgets-start");
  try {
    await manager.restore();
    performance.mark("dash-widgets-restored");
  } catch (err) {
    console.error("dash-widgets: no widget state from the kernel", err);
    notice("页面未能连接计算内核，请刷新页面。 The page could not reach its kernel: please reload it.");
    return;
  }
  const drawn = await Promise.allSettled(slots.map(([output, el]) => renderOutput(output, el, manager)));
  drawn.filter((r) => r.status === "rejected").forEach((r) => console.error("dash-widgets: output not drawn", r.reason));
  // every widget is in the page: what may wait for the page (calc.widgets.Chart's plotly.js) can start
  performance.mark("dash-widgets-drawn");
  window.dashWidgets.drawn = true;
  window.dispatchEvent(new Event("dash-widgets-drawn"));
}

window.dashWidgets = { drawn: false };

main().catch((err) => console.error("dash-widgets", err));
