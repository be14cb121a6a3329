// The Marble editor's live 3D viewport. It draws what the session's manifest lists, and turns what the
// user does into JSON commands for the Python session (written into #vp_cmd, run by clicking #vp_run).
// It holds no editing logic: picking, selecting and every edit are decided in Python.
import * as THREE from "./vendor/three/build/three.module.js";
import { OrbitControls } from "./vendor/three/examples/jsm/controls/OrbitControls.js";
import { TransformControls } from "./vendor/three/examples/jsm/controls/TransformControls.js";
import { SplatCloud, parseSplats } from "./splats.js";
import { cameraMethods } from "./camera.js";
import { installProbes } from "./probes.js";

const MOVING_SPLATS = 15000;    // while the view moves, draw about this many splats (a strided subset)
const IDLE_MS = 220;            // a still view is redrawn at full quality after this long
const SLOW_FRAME_MS = 80;       // moving frames slower than this lower the moving resolution

const vp = (window.marbleViewport = window.marbleViewport || {
  stats: { frames: 0, firstPixelAt: null, lastFrameMs: null, loadedVersion: null, loads: 0 },
});

function el(tag, attrs = {}, parent = null) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}
function gradioText(id) { const t = document.querySelector(`#${id} textarea, #${id} input`); return t ? t.value : ""; }

function sendCommand(cmd) {
  const box = document.querySelector("#vp_cmd textarea");
  const run = document.querySelector("#vp_run");
  if (!box || !run) return;
  box.value = JSON.stringify(cmd);
  box.dispatchEvent(new Event("input", { bubbles: true }));
  setTimeout(() => run.click(), 0);
  vp.lastCommand = cmd.op;
}

class Viewport {
  constructor(host) {
    this.host = host;
    host.classList.add("mv-host");
    this.canvasBox = el("div", { class: "mv-canvas" }, host);
    this.renderer = new THREE.WebGLRenderer({ antialias: false, preserveDrawingBuffer: true, powerPreference: "low-power" });
    this.renderer.outputColorSpace = THREE.LinearSRGBColorSpace;  // colours are already display values
    this.renderer.setPixelRatio(1);
    const gl = this.renderer.getContext();
    this.maxPoint = Math.min(256, gl.getParameter(gl.ALIASED_POINT_SIZE_RANGE)[1] || 64);
    this.canvasBox.appendChild(this.renderer.domElement);
    this.scene = new THREE.Scene();
    this.camera = new THREE.PerspectiveCamera(60, 1, 0.03, 2000);
    this.cloud = new SplatCloud();
    this.scene.add(this.cloud);
    this.meshGroup = new THREE.Group(); this.scene.add(this.meshGroup);
    this.boxGroup = new THREE.Group(); this.scene.add(this.boxGroup);
    this.outlineGroup = new THREE.Group(); this.scene.add(this.outlineGroup);
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x808080, 2.2));
    const sun = new THREE.DirectionalLight(0xffffff, 1.2); sun.position.set(3, 6, 2); this.scene.add(sun);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.enableDamping = false;
    this.controls.addEventListener("change", () => this.moved());
    this.pivot = new THREE.Object3D(); this.scene.add(this.pivot);
    this.gizmo = new TransformControls(this.camera, this.renderer.domElement);
    this.gizmo.setSize(0.9);
    this.scene.add(this.gizmo.getHelper());
    this.gizmo.addEventListener("dragging-changed", (e) => this.onGizmoDrag(e.value));
    this.gizmo.addEventListener("objectChange", () => this.onGizmoChange());
    this.gizmo.addEventListener("change", () => this.request());
    this.axes = new THREE.AxesHelper(1);
    this.axesScene = new THREE.Scene(); this.axesScene.add(this.axes);
    this.axesCam = new THREE.OrthographicCamera(-1.4, 1.4, 1.4, -1.4, 0.1, 10);
    this.layerData = new Map();   // key -> parsed splats
    this.meshData = new Map();    // key -> THREE.BufferGeometry
    this.manifest = null; this.version = null; this.token = null;
    this.tool = "pick"; this.snap = true; this.through = false;
    this.showSplats = true; this.showMeshes = false; this.showBlockout = false; this.walk = false;
    this.scale = 1; this.movingScale = 0.5; this.lastMove = 0; this.needs = true;
    this.keysDown = new Set();
    this.buildToolbar();
    this.bindEvents();
    new ResizeObserver(() => this.resize()).observe(this.canvasBox);
    this.resize();
    this.loop = this.loop.bind(this);
    requestAnimationFrame(this.loop);
    setInterval(() => this.poll(), 250);
  }

  // ------------------------------------------------------------------ toolbar
  buildToolbar() {
    const bar = el("div", { class: "mv-bar" });
    this.host.insertBefore(bar, this.canvasBox);
    const group = (label) => { const g = el("span", { class: "mv-group", title: label }, bar); return g; };
    const btn = (g, id, text, title, fn) => {
      const b = el("button", { class: "mv-btn", id: `mv-${id}`, title, type: "button", text }, g);
      b.addEventListener("click", (e) => { e.preventDefault(); fn(); this.syncToolbar(); });
      return b;
    };
    const tools = group("Selection tool");
    btn(tools, "pick", "Pick", "Click an object to select its layer (V). Shift: add, Ctrl: remove", () => this.setTool("pick"));
    btn(tools, "rect", "Rect", "Drag a rectangle (M)", () => this.setTool("rect"));
    btn(tools, "lasso", "Lasso", "Draw a lasso (L)", () => this.setTool("lasso"));
    btn(tools, "brush", "Brush", "Paint a selection (B); [ and ] change the size", () => this.setTool("brush"));
    const giz = group("Gizmo");
    btn(giz, "translate", "Move", "Move the selection (W)", () => this.gizmo.setMode("translate"));
    btn(giz, "rotate", "Rotate", "Rotate the selection (E)", () => this.gizmo.setMode("rotate"));
    btn(giz, "scale", "Scale", "Scale the selection (R)", () => this.gizmo.setMode("scale"));
    btn(giz, "snap", "Snap", "Snap moves to 0.1 m and turns to 15 degrees", () => { this.snap = !this.snap; this.applySnap(); });
    const opts = group("Show");
    btn(opts, "through", "Select through", "Rect, lasso and brush also take hidden surfaces", () => { this.through = !this.through; });
    btn(opts, "splats", "Splats", "Show the splats", () => { this.showSplats = !this.showSplats; this.applyVisibility(); });
    btn(opts, "meshes", "Meshes", "Show the meshes", () => { this.showMeshes = !this.showMeshes; this.applyVisibility(); });
    btn(opts, "blockout", "Blockout", "Show the blockout boxes; click one to pick it, drag it with the gizmo", () => {
      this.showBlockout = !this.showBlockout; this.applyVisibility(); this.attachGizmo();
    });
    const nav = group("View");
    btn(nav, "walk", "Walk", "Walk mode: drag to look, WASD or arrows to move, Q/E down/up, Esc to leave", () => this.setWalk(!this.walk));
    btn(nav, "focus", "Focus", "Frame the selection (F)", () => this.focus());
    btn(nav, "frame", "Frame all", "Frame the whole world", () => this.frameAll());
    this.status = el("div", { class: "mv-status", id: "mv-status" }, this.host);
    this.readout = el("div", { class: "mv-readout" }, this.canvasBox);
    this.overlay = el("canvas", { class: "mv-overlay" }, this.canvasBox);
    this.syncToolbar();
  }

  syncToolbar() {
    const on = (id, v) => { const b = this.host.querySelector(`#mv-${id}`); if (b) b.classList.toggle("mv-on", !!v); };
    for (const t of ["pick", "rect", "lasso", "brush"]) on(t, this.tool === t);
    for (const m of ["translate", "rotate", "scale"]) on(m, this.gizmo.mode === m);
    on("snap", this.snap); on("through", this.through); on("splats", this.showSplats); on("meshes", this.showMeshes);
    on("blockout", this.showBlockout); on("walk", this.walk);
    this.controls.enabled = !this.walk;
    this.controls.mouseButtons.LEFT = this.tool === "pick" ? THREE.MOUSE.ROTATE : null;
    this.applySnap();
  }

  setTool(t) { this.tool = t; this.syncToolbar(); this.setStatus(`${t} tool`); }
  applySnap() {
    this.gizmo.setTranslationSnap(this.snap ? 0.1 : null);
    this.gizmo.setRotationSnap(this.snap ? THREE.MathUtils.degToRad(15) : null);
    this.gizmo.setScaleSnap(this.snap ? 0.1 : null);
  }
  setStatus(text) { this.status.textContent = text; }

  // ------------------------------------------------------------------ loading
  visible() { return this.host.offsetParent !== null && this.canvasBox.clientWidth > 0 && this.canvasBox.clientHeight > 0; }

  async poll() {
    let state;
    try { state = JSON.parse(gradioText("vp_state") || "{}"); } catch { return; }
    if (!state.token || state.version === undefined) return;
    if (!this.visible() || this.loading) return;    // never load while hidden
    if (state.token === this.token && state.version === this.version) return;
    this.loading = true;
    try { await this.load(state.token); } catch (e) { this.setStatus(`viewport: ${e.message}`); } finally { this.loading = false; }
  }

  async load(token) {
    const base = `marble/session/${token}`;
    const res = await fetch(`${base}/manifest`, { cache: "no-store" });
    if (!res.ok) throw new Error(`the session is gone (${res.status}): reload the page`);
    const man = await res.json();
    const fresh = token !== this.token || !this.manifest;
    this.token = token;
    if (!man.world) { this.manifest = man; this.version = man.version; this.cloud.setLayers([]); this.request(); return; }
    const t0 = performance.now();
    const need = man.layers.filter((L) => L.splats && !this.layerData.has(L.key));
    let done = 0;
    for (const L of need) {  // one layer at a time: the page stays responsive and shows progress
      this.setStatus(`loading ${L.name} (${done + 1}/${need.length})`);
      const r = await fetch(`${base}/layer/${encodeURIComponent(L.name)}/splats?k=${L.key}`);
      if (!r.ok) throw new Error(`could not load ${L.name}`);
      this.layerData.set(L.key, parseSplats(await r.arrayBuffer()));
      done++;
    }
    if (this.showMeshes) await this.loadMeshes(man, base);
    const keys = new Set(man.layers.map((L) => L.key));
    for (const k of [...this.layerData.keys()]) if (!keys.has(k)) this.layerData.delete(k);
    const prevKeys = this.manifest && this.manifest.world ? this.manifest.layers.map((L) => L.key).join() : "";
    this.manifest = man; this.version = man.version; vp.stats.loadedVersion = man.version; vp.stats.loads++;
    const list = man.layers.filter((L) => L.splats).map((L) => ({
      name: L.name, key: L.key, data: this.layerData.get(L.key), matrix: new THREE.Matrix4().fromArray(L.transform),
      visible: L.visible, environment: L.environment, whole: man.selection.layers[L.name] === "whole", hover: false,
      fog: !!L.fog,
    }));
    this.cloud.setFog(man.fog ? man.fog.density : 0, man.fog ? man.fog.color : null);
    if (man.layers.map((L) => L.key).join() !== prevKeys || list.length !== this.cloud.layers_.length) this.cloud.setLayers(list);
    else {
      list.forEach((L, i) => { Object.assign(this.cloud.layers_[i], { matrix: L.matrix, visible: L.visible, whole: L.whole }); });
      this.cloud.updateLayerTexture();
    }
    await this.loadSelection(man, base);
    this.cloud.setDrag(null); this.dragMatrix = null; this.readout.textContent = "";
    if (fresh || man.frame_token !== this.frameToken) { this.frameToken = man.frame_token; if (fresh) this.frameAll(); }
    this.scene.background = new THREE.Color(...man.background);
    this.buildBoxes(); this.buildOutlines(); this.applyVisibility(); this.attachGizmo();
    this.setStatus(`${man.layers.length} layers, ${this.cloud.total.toLocaleString()} splats` +
      (need.length ? ` (loaded in ${(performance.now() - t0).toFixed(0)} ms)` : ""));
    this.waitingFirstPixel = true;
    this.request();
  }

  async loadMeshes(man, base) {
    for (const L of man.layers) {
      if (!L.triangles || this.meshData.has(L.key)) continue;
      const r = await fetch(`${base}/layer/${encodeURIComponent(L.name)}/mesh?k=${L.key}`);
      if (!r.ok) continue;
      const buf = await r.arrayBuffer();
      const dv = new DataView(buf);
      const nv = dv.getUint32(4, true), nf = dv.getUint32(8, true);
      const geo = new THREE.BufferGeometry();
      geo.setAttribute("position", new THREE.BufferAttribute(new Float32Array(buf, 12, nv * 3), 3));
      geo.setAttribute("color", new THREE.BufferAttribute(new Uint8Array(buf, 12 + nv * 12, nv * 4), 4, true));
      geo.setIndex(new THREE.BufferAttribute(new Uint32Array(buf.slice(12 + nv * 16, 12 + nv * 16 + nf * 12)), 1));
      geo.computeVertexNormals();
      this.meshData.set(L.key, geo);
    }
  }

  async loadSelection(man, base) {
    const bits = {};
    if (man.selection.partial.length) {
      const r = await fetch(`${base}/selection?v=${man.version}`, { cache: "no-store" });
      const bytes = new Uint8Array(await r.arrayBuffer());
      for (const p of man.selection.partial) {
        const out = new Uint8Array(p.count);
        for (let i = 0; i < p.count; i++) out[i] = (bytes[p.offset + (i >> 3)] >> (i & 7)) & 1;
        bits[p.name] = out;
      }
    }
    this.cloud.setSelection(bits);
  }

  // ------------------------------------------------------------------ scene pieces
  buildBoxes() {
    this.boxGroup.clear();
    const man = this.manifest;
    for (const b of man.blockout || []) {
      const geo = new THREE.BoxGeometry(...b.size); geo.translate(0, b.size[1] / 2, 0);
      const picked = man.picked_object === b.name;
      const line = new THREE.LineSegments(new THREE.EdgesGeometry(geo),
        new THREE.LineBasicMaterial({ color: picked ? 0xffa020 : 0x40d0ff, depthTest: false, transparent: true }));
      const solid = new THREE.Mesh(geo, new THREE.MeshBasicMaterial({ color: 0x40d0ff, transparent: true, opacity: 0.08, depthWrite: false }));
      const g = new THREE.Group(); g.add(solid); g.add(line);
      g.position.fromArray(b.position); g.rotation.y = THREE.MathUtils.degToRad(b.yaw_deg);
      g.userData = { box: b.name, size: b.size.slice() }; solid.userData = g.userData;
      this.boxGroup.add(g);
    }
  }

  buildOutlines() {
    this.outlineGroup.clear();
    const man = this.manifest;
    for (const L of man.layers) {
      const whole = man.selection.layers[L.name] === "whole";
      const hover = this.hoverName === L.name;
      if (!(whole || hover) || !L.bounds || L.environment) continue;
      const [lo, hi] = L.bounds;
      const box = new THREE.Box3(new THREE.Vector3(...lo), new THREE.Vector3(...hi));
      const helper = new THREE.Box3Helper(box, whole ? 0xff9020 : 0xffffff);
      helper.matrixAutoUpdate = false;
      helper.matrix.fromArray(L.transform);
      if (whole && this.dragMatrix) helper.matrix.premultiply(this.dragMatrix);
      helper.userData.layer = L.name;
      this.outlineGroup.add(helper);
    }
  }

  applyVisibility() {
    this.cloud.visible = this.showSplats;
    this.boxGroup.visible = this.showBlockout;
    this.meshGroup.clear();
    if (this.showMeshes && this.manifest && this.manifest.world) {
      const missing = this.manifest.layers.some((L) => L.triangles && !this.meshData.has(L.key));
      if (missing && !this.loading) {
        this.loading = true;
        this.loadMeshes(this.manifest, `marble/session/${this.token}`).finally(() => { this.loading = false; this.applyVisibility(); });
      }
      for (const L of this.manifest.layers) {
        const geo = this.meshData.get(L.key);
        if (!geo || !L.visible) continue;
        const m = new THREE.Mesh(geo, new THREE.MeshLambertMaterial({ vertexColors: true, side: THREE.DoubleSide }));
        m.matrixAutoUpdate = false; m.matrix.fromArray(L.transform); m.userData.layer = L.name;
        this.meshGroup.add(m);
      }
    }
    this.syncToolbar();
    this.request();
  }

  attachGizmo() {
    const man = this.manifest;
    if (this.gizmo.dragging) return;  // never pull the gizmo away mid-drag
    this.gizmo.detach();
    if (!man || !man.world) return;
    if (this.showBlockout && man.picked_object) {
      const g = this.boxGroup.children.find((c) => c.userData.box === man.picked_object);
      if (g) { this.gizmoTarget = { kind: "box", group: g, start: g.matrix.clone() }; this.gizmo.showX = this.gizmo.showZ = true; this.gizmo.attach(g); return; }
    }
    if (man.selection.center) {
      this.pivot.position.fromArray(man.selection.center); this.pivot.quaternion.identity(); this.pivot.scale.set(1, 1, 1);
      this.pivot.updateMatrixWorld();
      this.gizmoTarget = { kind: "selection" };
      this.gizmo.attach(this.pivot);
    }
  }

  // ------------------------------------------------------------------ the gizmo
  onGizmoDrag(active) {
    this.controls.enabled = !active && !this.walk;
    const t = this.gizmoTarget;
    if (!t) return;
    if (active) {
      this.dragStart = (t.kind === "box" ? t.group : this.pivot).matrixWorld.clone();
      this.interacting(true);
      return;
    }
    this.interacting(false);
    const obj = t.kind === "box" ? t.group : this.pivot;
    obj.updateMatrixWorld();
    const D = obj.matrixWorld.clone().multiply(this.dragStart.clone().invert());
    if (D.elements.every((v, i) => Math.abs(v - new THREE.Matrix4().elements[i]) < 1e-6)) { this.readout.textContent = ""; return; }
    if (t.kind === "box") {
      const g = t.group, size = t.group.userData.size.map((s, i) => s * [g.scale.x, g.scale.y, g.scale.z][i]);
      sendCommand({ op: "box", name: g.userData.box, position: g.position.toArray(), yaw_deg: THREE.MathUtils.radToDeg(g.rotation.y),
        size: size.some((s, i) => Math.abs(s - g.userData.size[i]) > 1e-6) ? size : null });
    } else {
      const e = D.elements;  // column-major -> row-major for Python
      sendCommand({ op: "transform", label: this.gizmoLabel(), matrix: [e[0], e[4], e[8], e[12], e[1], e[5], e[9], e[13], e[2], e[6], e[10], e[14], e[3], e[7], e[11], e[15]] });
    }
  }

  onGizmoChange() {
    const t = this.gizmoTarget;
    if (!t || !this.dragStart) return;
    const obj = t.kind === "box" ? t.group : this.pivot;
    if (t.kind === "box") { obj.rotation.x = obj.rotation.z = 0; if (this.gizmo.mode === "scale") obj.scale.set(Math.max(obj.scale.x, 0.05), Math.max(obj.scale.y, 0.05), Math.max(obj.scale.z, 0.05)); }
    else if (this.gizmo.mode === "scale") { const s = Math.max(0.05, (obj.scale.x + obj.scale.y + obj.scale.z) / 3); obj.scale.set(s, s, s); }
    obj.updateMatrixWorld();
    const D = obj.matrixWorld.clone().multiply(this.dragStart.clone().invert());
    this.readout.textContent = this.gizmoLabel(obj);
    if (t.kind === "selection") { this.dragMatrix = D; this.cloud.setDrag(D); this.buildOutlines(); }
    this.request();
  }

  gizmoLabel(obj = this.gizmoTarget && this.gizmoTarget.kind === "box" ? this.gizmoTarget.group : this.pivot) {
    const start = new THREE.Vector3(), q0 = new THREE.Quaternion(), s0 = new THREE.Vector3();
    (this.dragStart || obj.matrixWorld).decompose(start, q0, s0);
    const p = new THREE.Vector3(), q = new THREE.Quaternion(), s = new THREE.Vector3();
    obj.matrixWorld.decompose(p, q, s);
    if (this.gizmo.mode === "rotate") return `rotate ${THREE.MathUtils.radToDeg(2 * Math.acos(Math.min(1, Math.abs(q0.clone().invert().multiply(q).w)))).toFixed(0)} deg`;
    if (this.gizmo.mode === "scale") return `scale x${(s.x / s0.x).toFixed(2)}`;
    const d = p.sub(start);
    return `move x ${d.x >= 0 ? "+" : ""}${d.x.toFixed(2)}  y ${d.y >= 0 ? "+" : ""}${d.y.toFixed(2)}  z ${d.z >= 0 ? "+" : ""}${d.z.toFixed(2)} m`;
  }

  // ------------------------------------------------------------------ input
  viewDoc() {
    const r = this.renderer.domElement.getBoundingClientRect();
    this.camera.updateMatrixWorld();
    return { position: this.camera.position.toArray(), quaternion: this.camera.quaternion.toArray(), fov: this.camera.fov,
      width: Math.round(r.width), height: Math.round(r.height) };
  }
  local(e) { const r = this.renderer.domElement.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; }
  modeFor(e) { return e.shiftKey ? (this.tool === "pick" ? "toggle" : "add") : (e.ctrlKey || e.metaKey || e.altKey) ? "subtract" : "replace"; }

  bindEvents() {
    const c = this.renderer.domElement;
    c.tabIndex = 0;
    c.addEventListener("pointerdown", (e) => {
      c.focus({ preventScroll: true });
      this.down = { x: e.clientX, y: e.clientY, pts: [this.local(e)], button: e.button };
      this.interacting(true);
      if (this.walk) { c.setPointerCapture(e.pointerId); }
    });
    c.addEventListener("pointermove", (e) => {
      if (this.walk && this.down) {
        const dx = e.movementX || 0, dy = e.movementY || 0;
        this.yaw -= dx * 0.004; this.pitch = Math.max(-1.4, Math.min(1.4, this.pitch - dy * 0.004));
        this.applyWalkLook(); this.moved(); return;
      }
      if (this.down && this.tool !== "pick" && this.down.button === 0 && !this.gizmo.dragging) {
        this.down.pts.push(this.local(e)); this.drawShape(); return;
      }
      if (!this.down && this.tool === "pick") this.hoverAt(...this.local(e));
    });
    c.addEventListener("pointerup", (e) => {
      const d = this.down; this.down = null; this.interacting(false);
      if (!d || this.gizmo.dragging || this.gizmoJustUsed()) { this.clearShape(); return; }
      const moved = Math.hypot(e.clientX - d.x, e.clientY - d.y);
      if (this.tool === "pick" || this.walk) {
        if (moved < 5 && d.button === 0) this.clickAt(...d.pts[0], this.modeFor(e));
        return;
      }
      if (d.button !== 0) return;
      const pts = d.pts;
      this.clearShape();
      if (this.tool === "rect" && moved < 4) return;
      if (this.tool !== "brush" && pts.length < 2) return;
      sendCommand({ op: "select_shape", shape: this.tool, points: this.tool === "rect" ? [pts[0], pts[pts.length - 1]] : pts,
        radius: this.brushRadius || 20, through: this.through, mode: this.modeFor(e), view: this.viewDoc() });
      this.setStatus(`selecting (${this.tool}${this.through ? ", through" : ", visible surfaces"})...`);
    });
    c.addEventListener("pointerleave", () => { if (this.hoverName) { this.hoverName = null; this.setHover(null); } });
    c.addEventListener("wheel", () => this.interacting(true, true), { passive: true });
    window.addEventListener("keydown", (e) => this.onKey(e));
    window.addEventListener("keyup", (e) => this.keysDown.delete(e.key.toLowerCase()));
  }

  gizmoJustUsed() { return this.gizmo.axis !== null; }

  clickAt(x, y, mode) {
    if (this.showBlockout && this.manifest) {
      const ray = new THREE.Raycaster();
      const r = this.renderer.domElement.getBoundingClientRect();
      ray.setFromCamera(new THREE.Vector2((x / r.width) * 2 - 1, -(y / r.height) * 2 + 1), this.camera);
      const hit = ray.intersectObjects(this.boxGroup.children.map((g) => g.children[0]), false)[0];
      if (hit) { sendCommand({ op: "pick_box", name: hit.object.userData.box, mode }); return; }
    }
    sendCommand({ op: "pick", x, y, mode, view: this.viewDoc() });
    this.setStatus("picking...");
  }

  hoverAt(x, y) {
    const now = performance.now();
    if (now - (this.lastHover || 0) < 120 || now - this.lastMove < IDLE_MS || !this.manifest || !this.manifest.world) return;
    this.lastHover = now;
    const r = this.renderer.domElement.getBoundingClientRect();
    const name = this.cloud.pick(this.camera, r.width, r.height, x, y);
    if (name !== this.hoverName) { this.hoverName = name; this.setHover(name); }
  }

  setHover(name) {
    for (const L of this.cloud.layers_) L.hover = L.name === name;
    this.cloud.updateLayerTexture(); this.buildOutlines();
    this.renderer.domElement.title = name ? `${name}: click to select` : "";
    this.request();
  }

  onKey(e) {
    const t = e.target, tag = t && t.tagName ? t.tagName.toLowerCase() : "";
    if (tag === "input" || tag === "textarea" || tag === "select" || (t && t.isContentEditable)) return;
    if (!this.manifest || !this.visible()) return;
    const k = e.key.toLowerCase(), mod = e.ctrlKey || e.metaKey;
    if (this.walk) {
      if (k === "escape") { this.setWalk(false); return; }
      if (["w", "a", "s", "d", "q", "e", "arrowup", "arrowdown", "arrowleft", "arrowright"].includes(k)) {
        this.keysDown.add(k); e.preventDefault(); this.request(); return;
      }
    }
    const cmd = (op) => { e.preventDefault(); sendCommand({ op }); };
    if (mod && k === "z" && !e.shiftKey) return cmd("undo");
    if ((mod && k === "z" && e.shiftKey) || (mod && k === "y")) return cmd("redo");
    if (mod && k === "a") return cmd("select_all");
    if (mod && k === "i") return cmd("invert");
    if (mod) return;
    if (k === "delete" || k === "backspace") return cmd("delete");
    if (k === "escape") return cmd("clear");
    if (k === "h" && e.altKey) return cmd("show_all");
    if (k === "h") return cmd("hide");
    const modes = { w: "translate", e: "rotate", r: "scale" };
    if (modes[k]) { this.gizmo.setMode(modes[k]); this.syncToolbar(); e.preventDefault(); return; }
    const tools = { v: "pick", m: "rect", l: "lasso", b: "brush" };
    if (tools[k]) { this.setTool(tools[k]); e.preventDefault(); return; }
    if (k === "f") { this.focus(); e.preventDefault(); return; }
    if (k === "[" || k === "]") { this.brushRadius = Math.max(4, Math.min(200, (this.brushRadius || 20) * (k === "]" ? 1.25 : 0.8))); this.setStatus(`brush ${this.brushRadius.toFixed(0)} px`); }
  }

  // ------------------------------------------------------------------ shapes drawn over the view
  drawShape() {
    const d = this.down, o = this.overlay, g = o.getContext("2d");
    g.clearRect(0, 0, o.width, o.height);
    if (!d || d.pts.length < 1) return;
    g.strokeStyle = "#00dcff"; g.fillStyle = "rgba(0,220,255,0.12)"; g.lineWidth = 2;
    const p = d.pts;
    if (this.tool === "rect") {
      const [x0, y0] = p[0], [x1, y1] = p[p.length - 1];
      g.fillRect(x0, y0, x1 - x0, y1 - y0); g.strokeRect(x0, y0, x1 - x0, y1 - y0);
    } else if (this.tool === "lasso") {
      g.beginPath(); g.moveTo(...p[0]); for (const q of p) g.lineTo(...q); g.closePath(); g.fill(); g.stroke();
    } else {
      g.lineCap = g.lineJoin = "round"; g.lineWidth = 2 * (this.brushRadius || 20); g.strokeStyle = "rgba(0,220,255,0.35)";
      g.beginPath(); g.moveTo(...p[0]); for (const q of p) g.lineTo(...q); g.stroke();
    }
  }
  clearShape() { const o = this.overlay; o.getContext("2d").clearRect(0, 0, o.width, o.height); }

  // ------------------------------------------------------------------ drawing
  interacting(on, pulse = false) {
    if (on) this.lastMove = performance.now();
    this.activeDrag = on && !pulse;
    this.request();
  }
  moved() { this.lastMove = performance.now(); this.request(); }
  request() { this.needs = true; }

  resize() {
    const w = Math.max(this.canvasBox.clientWidth, 1), h = Math.max(this.canvasBox.clientHeight, 1);
    this.renderer.setSize(w, h, true);
    this.camera.aspect = w / h; this.camera.updateProjectionMatrix();
    this.overlay.width = w; this.overlay.height = h;
    this.request();
  }

  loop(now) {
    requestAnimationFrame(this.loop);
    const dt = Math.min(0.1, (now - (this.lastLoop || now)) / 1000); this.lastLoop = now;
    this.walkStep(dt);
    if (!this.visible()) return;
    if (this.walk && this.keysDown.size) this.moved();
    const moving = now - this.lastMove < IDLE_MS || this.activeDrag || this.gizmo.dragging;
    if (!this.needs && !(this.wasMoving && !moving)) return;
    this.wasMoving = moving;
    this.needs = false;
    this.draw(moving);
  }

  draw(moving) {
    const t0 = performance.now();
    const w = this.canvasBox.clientWidth, h = this.canvasBox.clientHeight;
    const scale = moving ? this.movingScale : 1;
    if (this.renderer.getPixelRatio() !== scale) { this.renderer.setPixelRatio(scale); this.renderer.setSize(w, h, true); }
    const stride = moving ? Math.max(1, Math.ceil(this.cloud.total / MOVING_SPLATS)) : 1;
    this.cloud.setViewport(w * scale, h * scale, this.camera, this.maxPoint, stride > 1 ? Math.sqrt(stride) * 0.7 : 1);
    this.cloud.sort(this.camera, stride);
    this.renderer.autoClear = true;
    this.renderer.render(this.scene, this.camera);
    this.drawAxes(w, h, scale);
    const ms = performance.now() - t0;
    vp.stats.lastFrameMs = ms; vp.stats.frames++;
    if (moving && ms > SLOW_FRAME_MS) this.movingScale = Math.max(0.25, this.movingScale * 0.8);
    else if (moving && ms < SLOW_FRAME_MS / 3) this.movingScale = Math.min(1, this.movingScale * 1.1);
    if (this.waitingFirstPixel && this.cloud.total) { this.waitingFirstPixel = false; vp.stats.firstPixelAt = performance.now(); vp.stats.firstPixelVersion = this.version; }
  }

  drawAxes(w, h, scale) {  // a small axis indicator, bottom left
    const r = this.renderer, size = 70;
    this.axesCam.position.copy(this.camera.getWorldDirection(new THREE.Vector3()).multiplyScalar(-3));
    this.axesCam.up.copy(this.camera.up); this.axesCam.lookAt(0, 0, 0);
    r.autoClear = false; r.clearDepth();
    r.setScissorTest(true); r.setScissor(6, 6, size, size); r.setViewport(6, 6, size, size);
    r.render(this.axesScene, this.axesCam);
    r.setScissorTest(false); r.setViewport(0, 0, w, h);
    r.autoClear = true;
  }
}

Object.assign(Viewport.prototype, cameraMethods);
installProbes(vp);

function boot() {
  const host = document.querySelector("#viewport .mv-root, #viewport");
  if (!host || vp.instance) return false;
  const root = host.querySelector(".mv-root") || host;
  vp.instance = new Viewport(root);
  return true;
}
if (!boot()) {
  const mo = new MutationObserver(() => { if (boot()) mo.disconnect(); });
  mo.observe(document.documentElement, { childList: true, subtree: true });
}
