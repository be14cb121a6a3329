// Renders a KHR_gaussian_splatting GLB with three.js's own loader (GLTFLoader +
// GLTFGaussianSplatLoaderExtension, WebGPURenderer; forceWebGL for software GL) from one camera.
// Used by tests/exporters/test_viewers_browser.py: the page imports `render` and the test reads
// the canvas. Camera parameters follow marble.camera.Camera: `pose` is T_world_camera with OpenGL
// axes (x right, y up, z back), 16 numbers column-major; `fovY` in degrees; `width`/`height` in px.
import * as THREE from 'three/webgpu';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { GLTFGaussianSplatLoaderExtension } from 'three/addons/loaders/GLTFGaussianSplatLoaderExtension.js';

export async function render({ url, pose, fovY, width, height, near = 0.01, far = 1000, webgpu = false,
                               srgbOutput = false, frames = 3 }) {
    const renderer = new THREE.WebGPURenderer({ antialias: false, forceWebGL: !webgpu, alpha: false });
    renderer.setPixelRatio(1);
    renderer.setSize(width, height, true);
    // The splats' colours are display-referred sRGB (colorSpace "srgb_rec709_display"): blend and show
    // them as they are, with no linear-to-sRGB step at the output (three's default, `srgbOutput`,
    // encodes them a second time).
    renderer.outputColorSpace = srgbOutput ? THREE.SRGBColorSpace : THREE.LinearSRGBColorSpace;
    renderer.setClearColor(0x000000, 1);
    document.body.appendChild(renderer.domElement);
    await renderer.init();

    const loader = new GLTFLoader();
    loader.register((parser) => new GLTFGaussianSplatLoaderExtension(parser));
    const gltf = await loader.loadAsync(url);
    const scene = new THREE.Scene();
    scene.add(gltf.scene);
    let splats = 0, meshes = 0;
    gltf.scene.traverse((o) => {
        if (o.isGaussianSplat) splats += o.splatGeometry.getAttribute('position').count;
        else if (o.isMesh) meshes += 1;
    });
    scene.add(new THREE.HemisphereLight(0xffffff, 0x444444, 2.0));

    const camera = new THREE.PerspectiveCamera(fovY, width / height, near, far);
    const m = new THREE.Matrix4().fromArray(pose);
    m.decompose(camera.position, camera.quaternion, camera.scale);
    camera.updateMatrixWorld(true);
    // a few frames: the first ones upload and sort (on the GPU), the last draws in sorted order
    for (let i = 0; i < frames; i++) {
        renderer.render(scene, camera);
        await new Promise((r) => requestAnimationFrame(() => r()));
    }
    renderer.render(scene, camera);
    return { splats, meshes, backend: renderer.backend.isWebGPUBackend ? 'webgpu' : 'webgl2' };
}
