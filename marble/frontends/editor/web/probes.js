// Measures and camera moves the browser tests call on `window.marbleViewport` (frame rate while orbiting,
// how much of the view is drawn, where a layer lands on screen, aiming at a layer).
import * as THREE from "./vendor/three/build/three.module.js";

export function installProbes(vp) {
  vp.orbitFps = async function (frames = 30, moving = true) {
    const v = vp.instance; if (!v) return null;
    const gl = v.renderer.getContext(), px = new Uint8Array(4), times = [];
    for (let i = 0; i < frames; i++) {
      const t = performance.now();
      const off = v.camera.position.clone().sub(v.controls.target);
      off.applyAxisAngle(new THREE.Vector3(0, 1, 0), 0.03);
      v.camera.position.copy(v.controls.target.clone().add(off)); v.camera.lookAt(v.controls.target);
      v.draw(moving);
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);  // wait for the frame to be drawn
      times.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 0));
    }
    v.draw(false);
    const total = times.reduce((a, b) => a + b, 0);
    return { fps: (frames * 1000) / total, meanMs: total / frames, splats: v.cloud.total, drawn: v.cloud.drawn,
             scale: moving ? v.movingScale : 1, width: v.canvasBox.clientWidth, height: v.canvasBox.clientHeight };
  };
  vp.pixelStats = function () {  // how much of the view differs from the background, and the drawn pixels' mean colour
    const v = vp.instance; if (!v) return null;
    v.draw(false);
    const gl = v.renderer.getContext(), w = gl.drawingBufferWidth, h = gl.drawingBufferHeight;
    const px = new Uint8Array(w * h * 4); gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, px);
    const bg = v.scene.background || new THREE.Color(0, 0, 0), br = bg.r * 255, bgc = bg.g * 255, bb = bg.b * 255;
    let differ = 0; const sum = [0, 0, 0];
    for (let i = 0; i < w * h; i++) {
      if (Math.abs(px[i * 4] - br) + Math.abs(px[i * 4 + 1] - bgc) + Math.abs(px[i * 4 + 2] - bb) <= 24) continue;
      differ++; for (let j = 0; j < 3; j++) sum[j] += px[i * 4 + j];
    }
    return { width: w, height: h, fraction: differ / (w * h), mean: sum.map((x) => x / Math.max(differ, 1) / 255) };
  };
  vp.screenOf = function (name) {  // where a layer's centre lands on screen (CSS pixels), for tests
    const v = vp.instance; if (!v || !v.manifest) return null;
    const L = v.manifest.layers.find((x) => x.name === name); if (!L || !L.bounds) return null;
    const c = new THREE.Vector3(...L.bounds[0]).add(new THREE.Vector3(...L.bounds[1])).multiplyScalar(0.5);
    c.applyMatrix4(new THREE.Matrix4().fromArray(L.transform)).project(v.camera);
    const r = v.renderer.domElement.getBoundingClientRect();
    return { x: r.left + (c.x * 0.5 + 0.5) * r.width, y: r.top + (0.5 - c.y * 0.5) * r.height, onScreen: Math.abs(c.x) < 1 && Math.abs(c.y) < 1 && c.z < 1 };
  };
  vp.lookAt = function (name, distance = 2.0) {  // aim the camera at a layer (tests, and the Focus key's cousin)
    const v = vp.instance; if (!v || !v.manifest) return false;
    const L = v.manifest.layers.find((x) => x.name === name); if (!L || !L.bounds) return false;
    const c = new THREE.Vector3(...L.bounds[0]).add(new THREE.Vector3(...L.bounds[1])).multiplyScalar(0.5);
    c.applyMatrix4(new THREE.Matrix4().fromArray(L.transform));
    const mid = new THREE.Vector3(...v.manifest.frame.center);  // come from the middle of the world (inside a room)
    let dir = mid.sub(c).setY(0);
    if (dir.lengthSq() < 0.01) dir = v.camera.position.clone().sub(v.controls.target).setY(0);
    dir.normalize();
    const eye = c.clone().add(dir.multiplyScalar(distance));
    eye.y = Math.min(c.y + distance * 0.4, Math.max(v.manifest.frame.eye[1], c.y + 0.2));  // stay under a ceiling
    v.controls.target.copy(c); v.camera.position.copy(eye);
    v.controls.update(); v.moved(); v.draw(false); return true;
  };
}
