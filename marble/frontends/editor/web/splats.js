// Gaussian splats for three.js, drawn the way a CPU-rendered (software GL) browser can keep up with:
// one instanced draw of screen-space ellipses, sorted back to front on the CPU only when the view moved,
// with a "moving" mode that draws a strided subset. Per layer: a transform and flags in a small texture,
// so hiding, highlighting and dragging a layer never re-uploads its splats.
import * as THREE from "./vendor/three/build/three.module.js";

const SPLAT_BYTES = 32;    // the .splat layout: pos f32x3, scale f32x3, rgba u8x4, quat u8x4 (w, x, y, z)

// One point per splat (a quarter of the vertex work of quads, which matters on a CPU rasterizer):
// the vertex shader projects the world-space covariance to a screen ellipse, the fragment shader
// evaluates it inside the point sprite.
const VERT = `
precision highp float;
in vec3 aCenter; in vec3 aCovA; in vec3 aCovB; in vec4 aColor; in float aFlags;
uniform vec2 uFocal; uniform float uMaxPoint; uniform float uSplatScale;
uniform float uFogDensity; uniform vec3 uFogColor;
out vec4 vColor; out vec3 vConic; out float vSize; out float vFlags;
void main() {
  vec4 cam = viewMatrix * vec4(aCenter, 1.0);
  vec4 clip = projectionMatrix * cam;
  float bound = 1.2 * clip.w;
  if (clip.w <= 0.0 || clip.z < -clip.w || clip.x < -bound || clip.x > bound || clip.y < -bound || clip.y > bound) {
    gl_Position = vec4(0.0, 0.0, 2.0, 1.0); gl_PointSize = 0.0; return;
  }
  mat3 V = mat3(aCovA.x, aCovA.y, aCovA.z, aCovA.y, aCovB.x, aCovB.y, aCovA.z, aCovB.y, aCovB.z);
  mat3 W = mat3(viewMatrix);
  float z = -cam.z;
  mat3 J = mat3(uFocal.x / z, 0.0, 0.0, 0.0, uFocal.y / z, 0.0,
                uFocal.x * cam.x / (z * z), uFocal.y * cam.y / (z * z), 0.0);
  mat3 T = J * W;
  mat3 C = T * V * transpose(T) * (uSplatScale * uSplatScale);
  // Mip-Splatting's 2D filter (0.1 px^2, about a pixel's box) with the opacity compensated for it,
  // as Marble's renderer draws (marble.render.core.MIP_FILTER): no half-pixel blur on every edge
  float b = C[0][1], det0 = max(C[0][0] * C[1][1] - b * b, 0.0);
  float a = C[0][0] + 0.1, d = C[1][1] + 0.1;
  float det = max(a * d - b * b, 1e-6);
  float keep = sqrt(det0 / det);
  vConic = vec3(d, -b, a) / det;
  float mid = 0.5 * (a + d);
  float l1 = mid + length(vec2(0.5 * (a - d), b));
  float size = min(2.0 * ceil(2.5 * sqrt(l1)) + 1.0, uMaxPoint);  // 2.5 sigma: a third less fill than 3
  gl_PointSize = size; vSize = size;
  // live-fog layers (flag bit 4): veiled by the splat's own distance, as Marble's renderer draws them
  float clear = mod(floor(aFlags / 4.0), 2.0) > 0.5 ? exp(-uFogDensity * length(cam.xyz)) : 1.0;
  vColor = vec4(mix(uFogColor, aColor.rgb, clear), aColor.a * keep); vFlags = aFlags;
  gl_Position = vec4(clip.xy / clip.w, clip.z / clip.w, 1.0);
}`;

const FRAG = `
precision highp float;
in vec4 vColor; in vec3 vConic; in float vSize; in float vFlags;
layout(location = 0) out highp vec4 fragColor;
void main() {
  vec2 d = vec2(gl_PointCoord.x - 0.5, 0.5 - gl_PointCoord.y) * vSize;
  float power = -0.5 * (vConic.x * d.x * d.x + 2.0 * vConic.y * d.x * d.y + vConic.z * d.y * d.y);
  if (power < -3.125) discard;
  float B = exp(power) * vColor.a;
  if (B < 1.0 / 255.0) discard;
  vec3 col = vColor.rgb;
  float sel = mod(vFlags, 2.0), hover = mod(floor(vFlags / 2.0), 2.0);
  // selection: orange stripes over half the pixels, so the true colour (a recolour) stays visible
  if (sel > 0.5 && mod(floor((gl_FragCoord.x + gl_FragCoord.y) / 4.0), 2.0) < 0.5) col = mix(col, vec3(1.0, 0.55, 0.1), 0.75);
  if (hover > 0.5) col = mix(col, vec3(1.0), 0.3);
  fragColor = vec4(col * B, B);
}`;

/** Parse one layer's .splat bytes: local centres, covariances, colours and a radius per splat. */
export function parseSplats(buffer) {
  const n = Math.floor(buffer.byteLength / SPLAT_BYTES);
  const f = new Float32Array(buffer, 0, n * 8);
  const u = new Uint8Array(buffer, 0, n * SPLAT_BYTES);
  const centers = new Float32Array(n * 3), cov = new Float32Array(n * 6), rgba = new Uint8Array(n * 4);
  const radius = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * 8, b = i * SPLAT_BYTES;
    centers[i * 3] = f[o]; centers[i * 3 + 1] = f[o + 1]; centers[i * 3 + 2] = f[o + 2];
    const sx = f[o + 3], sy = f[o + 4], sz = f[o + 5];
    radius[i] = Math.max(sx, sy, sz);
    rgba[i * 4] = u[b + 24]; rgba[i * 4 + 1] = u[b + 25]; rgba[i * 4 + 2] = u[b + 26]; rgba[i * 4 + 3] = u[b + 27];
    let w = (u[b + 28] - 128) / 128, x = (u[b + 29] - 128) / 128, y = (u[b + 30] - 128) / 128, z = (u[b + 31] - 128) / 128;
    const qn = Math.hypot(w, x, y, z) || 1; w /= qn; x /= qn; y /= qn; z /= qn;
    const r00 = 1 - 2 * (y * y + z * z), r01 = 2 * (x * y - w * z), r02 = 2 * (x * z + w * y);
    const r10 = 2 * (x * y + w * z), r11 = 1 - 2 * (x * x + z * z), r12 = 2 * (y * z - w * x);
    const r20 = 2 * (x * z - w * y), r21 = 2 * (y * z + w * x), r22 = 1 - 2 * (x * x + y * y);
    // M = R * S; cov = M M^T
    const m00 = r00 * sx, m01 = r01 * sy, m02 = r02 * sz, m10 = r10 * sx, m11 = r11 * sy, m12 = r12 * sz;
    const m20 = r20 * sx, m21 = r21 * sy, m22 = r22 * sz;
    const c = i * 6;
    cov[c] = m00 * m00 + m01 * m01 + m02 * m02; cov[c + 1] = m00 * m10 + m01 * m11 + m02 * m12;
    cov[c + 2] = m00 * m20 + m01 * m21 + m02 * m22; cov[c + 3] = m10 * m10 + m11 * m11 + m12 * m12;
    cov[c + 4] = m10 * m20 + m11 * m21 + m12 * m22; cov[c + 5] = m20 * m20 + m21 * m21 + m22 * m22;
  }
  return { n, centers, cov, rgba, radius };
}

/** World-space centres [n*3] and covariances [n*6] of a layer's splats under the 4x4 ``m`` (column-major). */
function toWorld(data, e, out) {
  const n = data.n, c = data.centers, v = data.cov;
  const wc = out && out.wc.length === n * 3 ? out.wc : new Float32Array(n * 3);
  const wv = out && out.wv.length === n * 6 ? out.wv : new Float32Array(n * 6);
  const a00 = e[0], a10 = e[1], a20 = e[2], a01 = e[4], a11 = e[5], a21 = e[6], a02 = e[8], a12 = e[9], a22 = e[10];
  for (let i = 0; i < n; i++) {
    const x = c[i * 3], y = c[i * 3 + 1], z = c[i * 3 + 2];
    wc[i * 3] = a00 * x + a01 * y + a02 * z + e[12];
    wc[i * 3 + 1] = a10 * x + a11 * y + a12 * z + e[13];
    wc[i * 3 + 2] = a20 * x + a21 * y + a22 * z + e[14];
    const k = i * 6, s00 = v[k], s01 = v[k + 1], s02 = v[k + 2], s11 = v[k + 3], s12 = v[k + 4], s22 = v[k + 5];
    // A S (3x3 times symmetric), then (A S) A^T
    const b00 = a00 * s00 + a01 * s01 + a02 * s02, b01 = a00 * s01 + a01 * s11 + a02 * s12, b02 = a00 * s02 + a01 * s12 + a02 * s22;
    const b10 = a10 * s00 + a11 * s01 + a12 * s02, b11 = a10 * s01 + a11 * s11 + a12 * s12, b12 = a10 * s02 + a11 * s12 + a12 * s22;
    const b20 = a20 * s00 + a21 * s01 + a22 * s02, b21 = a20 * s01 + a21 * s11 + a22 * s12, b22 = a20 * s02 + a21 * s12 + a22 * s22;
    wv[k] = b00 * a00 + b01 * a01 + b02 * a02; wv[k + 1] = b00 * a10 + b01 * a11 + b02 * a12;
    wv[k + 2] = b00 * a20 + b01 * a21 + b02 * a22; wv[k + 3] = b10 * a10 + b11 * a11 + b12 * a12;
    wv[k + 4] = b10 * a20 + b11 * a21 + b12 * a22; wv[k + 5] = b20 * a20 + b21 * a21 + b22 * a22;
  }
  return { wc, wv };
}

function pointGeometry(capacity) {
  const geo = new THREE.BufferGeometry();
  const attr = (name, arr, size, normalized = false) => {
    const a = new THREE.BufferAttribute(arr, size, normalized); a.setUsage(THREE.DynamicDrawUsage); geo.setAttribute(name, a);
  };
  attr("aCenter", new Float32Array(capacity * 3), 3);
  attr("aCovA", new Float32Array(capacity * 3), 3);
  attr("aCovB", new Float32Array(capacity * 3), 3);
  attr("aColor", new Uint8Array(capacity * 4), 4, true);
  attr("aFlags", new Float32Array(capacity), 1);
  geo.setDrawRange(0, 0);
  return geo;
}

export class SplatCloud extends THREE.Points {
  constructor() {
    const mat = new THREE.ShaderMaterial({
      glslVersion: THREE.GLSL3, vertexShader: VERT, fragmentShader: FRAG, transparent: true, depthWrite: false,
      depthTest: true, blending: THREE.CustomBlending, blendSrc: THREE.OneFactor, blendDst: THREE.OneMinusSrcAlphaFactor,
      blendSrcAlpha: THREE.OneFactor, blendDstAlpha: THREE.OneMinusSrcAlphaFactor,
      uniforms: { uFocal: { value: new THREE.Vector2(1, 1) }, uMaxPoint: { value: 512 }, uSplatScale: { value: 1 },
                  uFogDensity: { value: 0 }, uFogColor: { value: new THREE.Color(1, 1, 1) } },
    });
    super(pointGeometry(1), mat);
    this.frustumCulled = false;
    this.layers_ = [];       // [{name, key, data, base, matrix (Matrix4), visible, whole, hover, world}]
    this.total = 0;
    this.sel = new Uint8Array(0);
    this.dragMatrix = null;
    this.lastSortKey = null;
    this.drawn = 0;
  }

  /** The environment's distance fog (density per metre, [r, g, b]), drawn on live-fog layers. */
  setFog(density, color) {
    this.material.uniforms.uFogDensity.value = density || 0;
    if (color) this.material.uniforms.uFogColor.value.setRGB(color[0], color[1], color[2]);
  }

  /** Set the layers to draw: [{name, key, data (parseSplats), matrix (Matrix4), visible, whole, hover, fog}]. */
  setLayers(list) {
    this.layers_ = list;
    let base = 0;
    for (const L of list) { L.base = base; base += L.data.n; L.world = null; }
    this.total = base;
    this.sel = new Uint8Array(base);
    this.depth = new Float32Array(base);
    this.geometry.dispose();
    this.geometry = pointGeometry(Math.max(base, 1));
    this.lastSortKey = null;
  }

  /** The layers' matrices or flags changed: world-space data are recomputed where the matrix moved. */
  updateLayerTexture() {
    for (const L of this.layers_) {
      const key = L.matrix.elements.join(",");
      if (L.worldKey !== key) L.world = null;
    }
    this.lastSortKey = null;
  }

  worldOf(L) {
    const key = L.matrix.elements.join(",");
    if (!L.world || L.worldKey !== key) { L.world = toWorld(L.data, L.matrix.elements, L.world); L.worldKey = key; }
    return L.world;
  }

  /** Mark selected splats: bits[name] = Uint8Array of 0/1 per splat (layers selected whole use L.whole). */
  setSelection(bits) {
    this.sel.fill(0);
    for (const L of this.layers_) {
      const b = bits[L.name];
      if (b) this.sel.set(b.subarray(0, L.data.n), L.base);
      else if (L.whole) this.sel.fill(1, L.base, L.base + L.data.n);
    }
    this.lastSortKey = null;
  }

  setDrag(matrix) { this.dragMatrix = matrix ? matrix.clone() : null; this.lastSortKey = null; }

  /** Sort back to front for ``camera`` and fill the point attributes (skipped when nothing changed). */
  sort(camera, stride = 1) {
    camera.updateMatrixWorld();
    const key = camera.matrixWorldInverse.elements.map((v) => v.toFixed(4)).join(",") + "|" + stride + "|" +
      (this.dragMatrix ? this.dragMatrix.elements.map((v) => v.toFixed(4)).join(",") : "");
    if (key === this.lastSortKey) return false;
    this.lastSortKey = key;
    const e = camera.matrixWorldInverse.elements, r0 = e[2], r1 = e[6], r2 = e[10], r3 = e[14];
    const D = this.dragMatrix ? this.dragMatrix.elements : null;
    const parts = [];
    let count = 0;
    for (const L of this.layers_) {
      if (!L.visible) continue;
      let w = this.worldOf(L);
      if (D && (L.whole || this.hasSel(L))) {  // the gizmo's live preview: drag the selected splats
        const dragged = toWorld(L.data, new THREE.Matrix4().multiplyMatrices(this.dragMatrix, L.matrix).elements);
        if (L.whole) w = dragged;
        else {
          const wc = w.wc.slice(), wv = w.wv.slice(), sel = this.sel;
          for (let i = 0; i < L.data.n; i++) if (sel[L.base + i]) {
            wc.set(dragged.wc.subarray(i * 3, i * 3 + 3), i * 3); wv.set(dragged.wv.subarray(i * 6, i * 6 + 6), i * 6);
          }
          w = { wc, wv };
        }
      }
      parts.push({ L, w });
      count += Math.ceil(L.data.n / stride);
    }
    const idxL = new Uint16Array(count), idxI = new Uint32Array(count), depth = new Float32Array(count);
    let k = 0, lo = Infinity, hi = -Infinity;
    parts.forEach((p, pi) => {
      const wc = p.w.wc;
      for (let i = 0; i < p.L.data.n; i += stride) {
        const dz = r0 * wc[i * 3] + r1 * wc[i * 3 + 1] + r2 * wc[i * 3 + 2] + r3;
        depth[k] = dz; idxL[k] = pi; idxI[k] = i; k++;
        if (dz < lo) lo = dz;
        if (dz > hi) hi = dz;
      }
    });
    // counting sort on 16-bit depth keys; camera-space z is negative in front, so ascending z = far first
    const bins = 65536, counts = new Uint32Array(bins), scale = hi > lo ? (bins - 1) / (hi - lo) : 0;
    const keys = new Uint16Array(count);
    for (let j = 0; j < count; j++) { const q = ((depth[j] - lo) * scale) | 0; keys[j] = q; counts[q]++; }
    for (let b = 1; b < bins; b++) counts[b] += counts[b - 1];
    const order = new Uint32Array(count);
    for (let j = count - 1; j >= 0; j--) order[--counts[keys[j]]] = j;
    const g = this.geometry.attributes;
    const C = g.aCenter.array, A = g.aCovA.array, B = g.aCovB.array, RGBA = g.aColor.array, F = g.aFlags.array;
    for (let o = 0; o < count; o++) {
      const j = order[o], p = parts[idxL[j]], i = idxI[j], L = p.L, wc = p.w.wc, wv = p.w.wv, rgba = L.data.rgba;
      C[o * 3] = wc[i * 3]; C[o * 3 + 1] = wc[i * 3 + 1]; C[o * 3 + 2] = wc[i * 3 + 2];
      A[o * 3] = wv[i * 6]; A[o * 3 + 1] = wv[i * 6 + 1]; A[o * 3 + 2] = wv[i * 6 + 2];
      B[o * 3] = wv[i * 6 + 3]; B[o * 3 + 1] = wv[i * 6 + 4]; B[o * 3 + 2] = wv[i * 6 + 5];
      RGBA[o * 4] = rgba[i * 4]; RGBA[o * 4 + 1] = rgba[i * 4 + 1]; RGBA[o * 4 + 2] = rgba[i * 4 + 2]; RGBA[o * 4 + 3] = rgba[i * 4 + 3];
      F[o] = (this.sel[L.base + i] ? 1 : 0) + (L.hover ? 2 : 0) + (L.fog ? 4 : 0);
    }
    for (const name of ["aCenter", "aCovA", "aCovB", "aColor", "aFlags"]) {
      g[name].needsUpdate = true; g[name].clearUpdateRanges(); g[name].addUpdateRange(0, count * g[name].itemSize);
    }
    this.geometry.setDrawRange(0, count);
    this.drawn = count;
    return true;
  }

  hasSel(L) { for (let i = L.base; i < L.base + L.data.n; i++) if (this.sel[i]) return true; return false; }

  /** ``splatScale`` > 1 grows every splat (used while a strided subset is drawn, to close the gaps). */
  setViewport(width, height, camera, maxPoint = 512, splatScale = 1) {
    const fy = height / 2 / Math.tan((camera.fov * Math.PI) / 360);
    this.material.uniforms.uFocal.value.set(fy, fy);
    this.material.uniforms.uMaxPoint.value = maxPoint;
    this.material.uniforms.uSplatScale.value = splatScale;
  }

  /** The front-most layer with a fairly opaque splat within ``radius`` px of (x, y) (CSS pixels). */
  pick(camera, width, height, x, y, radius = 6) {
    camera.updateMatrixWorld();
    const P = new THREE.Matrix4().multiplyMatrices(camera.projectionMatrix, camera.matrixWorldInverse).elements;
    const fy = height / 2 / Math.tan((camera.fov * Math.PI) / 360);
    let best = null, bestZ = Infinity;
    for (const L of this.layers_) {
      if (!L.visible || L.environment) continue;
      const wc = this.worldOf(L).wc, rgba = L.data.rgba, rad = L.data.radius;
      const s = Math.cbrt(Math.abs(L.matrix.determinant())) || 1;
      for (let i = 0; i < L.data.n; i++) {
        if (rgba[i * 4 + 3] < 64) continue;
        const px = wc[i * 3], py = wc[i * 3 + 1], pz = wc[i * 3 + 2];
        const w = P[3] * px + P[7] * py + P[11] * pz + P[15];
        if (w <= 0.01 || w >= bestZ) continue;
        const sx = ((P[0] * px + P[4] * py + P[8] * pz + P[12]) / w * 0.5 + 0.5) * width;
        const sy = (0.5 - (P[1] * px + P[5] * py + P[9] * pz + P[13]) / w * 0.5) * height;
        const reach = Math.max(radius, (fy * rad[i] * s * 1.5) / w);
        const dx = sx - x, dy = sy - y;
        if (dx * dx + dy * dy <= reach * reach) { best = L.name; bestZ = w; }
      }
    }
    return best;
  }
}
