// The viewport camera: framing the world, focusing the selection, and the walk mode (WASD + mouse look).
// Mixed into the Viewport class (viewport.js); `this` is the viewport.
import * as THREE from "./vendor/three/build/three.module.js";

export const cameraMethods = {
  frameAll() {
    const f = this.manifest && this.manifest.frame;
    if (!f) return;
    this.camera.position.fromArray(f.eye);
    this.controls.target.fromArray(f.center);
    this.camera.near = Math.max(0.02, f.radius / 500); this.camera.far = Math.max(100, f.radius * 40);
    this.camera.updateProjectionMatrix();
    this.controls.update();
    this.moved();
  },

  focus() {
    const man = this.manifest;
    if (!man || !man.selection.center) { this.setStatus("nothing selected to focus on"); return; }
    let radius = 0.3;
    for (const L of man.layers) {
      if (man.selection.layers[L.name] === undefined || !L.bounds) continue;
      const lo = new THREE.Vector3(...L.bounds[0]), hi = new THREE.Vector3(...L.bounds[1]);
      radius = Math.max(radius, lo.distanceTo(hi) / 2);
    }
    const target = new THREE.Vector3(...man.selection.center);
    const dir = this.camera.position.clone().sub(this.controls.target).normalize();
    this.controls.target.copy(target);
    this.camera.position.copy(target.clone().add(dir.multiplyScalar(radius * 2.6 + 0.4)));
    this.controls.update(); this.moved();
  },

  setWalk(on) {
    this.walk = on;
    if (on) {
      const dir = new THREE.Vector3(); this.camera.getWorldDirection(dir);
      this.yaw = Math.atan2(-dir.x, -dir.z); this.pitch = Math.asin(Math.max(-1, Math.min(1, dir.y)));
      this.camera.position.y = Math.max(this.camera.position.y, 0.3);
      this.setStatus("walk: drag to look, WASD / arrows to move, Q/E down/up, Esc to leave");
    } else {
      const dir = new THREE.Vector3(); this.camera.getWorldDirection(dir);
      this.controls.target.copy(this.camera.position.clone().add(dir.multiplyScalar(2)));
      this.controls.update(); this.setStatus("orbit: drag to turn, right-drag to pan, wheel to zoom");
    }
    this.syncToolbar();
  },

  applyWalkLook() { this.camera.quaternion.setFromEuler(new THREE.Euler(this.pitch, this.yaw, 0, "YXZ")); },

  walkStep(dt) {
    if (!this.walk || !this.keysDown.size) return;
    const speed = 1.6 * dt, f = new THREE.Vector3(-Math.sin(this.yaw), 0, -Math.cos(this.yaw)), r = new THREE.Vector3(-f.z, 0, f.x);
    const k = this.keysDown, v = new THREE.Vector3();
    if (k.has("w") || k.has("arrowup")) v.add(f);
    if (k.has("s") || k.has("arrowdown")) v.sub(f);
    if (k.has("d") || k.has("arrowright")) v.add(r);
    if (k.has("a") || k.has("arrowleft")) v.sub(r);
    if (k.has("e")) v.y += 1;
    if (k.has("q")) v.y -= 1;
    if (v.lengthSq()) { this.camera.position.add(v.normalize().multiplyScalar(speed)); this.moved(); }
  },
};
