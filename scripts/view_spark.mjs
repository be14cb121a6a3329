// Renders a .ply / .spz / .splat file with Spark (World Labs' three.js splat renderer, WebGL2) from
// one camera, turned as a Spark user would turn it (`rotateX180` for the 3DGS .ply family).
// Used by tests/exporters/test_viewers_browser.py; camera parameters as in view_khr_three.mjs.
import * as THREE from 'three';
import { SparkRenderer, SplatMesh } from '@sparkjsdev/spark';

export async function render({ url, pose, fovY, width, height, near = 0.01, far = 1000, rotateX180 = false }) {
    const renderer = new THREE.WebGLRenderer({ antialias: false, alpha: false, preserveDrawingBuffer: true });
    renderer.setPixelRatio(1);
    renderer.setSize(width, height, true);
    renderer.setClearColor(0x000000, 1);
    document.body.appendChild(renderer.domElement);

    const scene = new THREE.Scene();
    const spark = new SparkRenderer({ renderer });
    scene.add(spark);
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    const mesh = new SplatMesh({ fileBytes: bytes, fileName: url.split('/').pop() });
    if (rotateX180) mesh.quaternion.set(1, 0, 0, 0);
    scene.add(mesh);
    await mesh.initialized;

    const camera = new THREE.PerspectiveCamera(fovY, width / height, near, far);
    const m = new THREE.Matrix4().fromArray(pose);
    m.decompose(camera.position, camera.quaternion, camera.scale);
    camera.updateMatrixWorld(true);
    scene.add(camera);
    // Spark sorts in a worker: render until a frame with every splat sorted has been drawn
    for (let i = 0; i < 60; i++) {
        renderer.render(scene, camera);
        await new Promise((r) => setTimeout(r, 50));
    }
    renderer.render(scene, camera);
    return { splats: mesh.packedSplats ? mesh.packedSplats.numSplats : null };
}
