import math

import pytest
import torch

from marble.camera import (
    CV_TO_GL,
    Camera,
    look_at_pose,
    orbit,
    ring,
    stack_cameras,
    walk,
)
from marble.errors import InputError


def project(cam: Camera, p):
    p = torch.as_tensor(p, dtype=torch.float64)
    pc = torch.linalg.inv(cam.T_world_camera) @ torch.cat([p, torch.ones(1, dtype=torch.float64)])
    return cam.fx * pc[0] / pc[2] + cam.cx, cam.fy * pc[1] / pc[2] + cam.cy, pc[2]


def test_look_at_puts_target_at_image_centre_and_up_is_up():
    cam = Camera.look_at([3.0, 2.0, 5.0], [0.0, 1.0, 0.0], width=320, height=240)
    u, v, z = project(cam, [0.0, 1.0, 0.0])
    assert abs(u - 160) < 1e-6 and abs(v - 120) < 1e-6 and z > 0
    # a point above the target appears higher in the image (smaller v): OpenCV y is down
    _, v_up, _ = project(cam, [0.0, 2.0, 0.0])
    assert v_up < v


def test_bad_intrinsics_raise_naming_the_argument():
    with pytest.raises(InputError, match="`fx`"):
        Camera(fx=0.0, fy=1.0, cx=0, cy=0, width=10, height=10)
    with pytest.raises(InputError, match="`fy`"):
        Camera(fx=1.0, fy=-3.0, cx=0, cy=0, width=10, height=10)
    with pytest.raises(InputError, match="`width`"):
        Camera(fx=1.0, fy=1.0, cx=0, cy=0, width=9000, height=10)


def test_gl_conversion_roundtrip_and_axes():
    cam = Camera.look_at([0.0, 0.0, 5.0], [0.0, 0.0, 0.0])
    T_gl = cam.T_world_camera_gl()
    # OpenGL cameras look down -Z: the camera's -Z axis points at the target (towards -world Z here)
    assert torch.allclose(-T_gl[:3, 2], torch.tensor([0.0, 0.0, -1.0], dtype=torch.float64), atol=1e-9)
    assert torch.allclose(T_gl[:3, 1], torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64), atol=1e-9)
    back = Camera.from_gl_pose(T_gl, fx=cam.fx, fy=cam.fy, cx=cam.cx, cy=cam.cy, width=cam.width, height=cam.height)
    assert torch.allclose(back.T_world_camera, cam.T_world_camera)
    assert torch.equal(CV_TO_GL @ CV_TO_GL, torch.eye(4, dtype=torch.float64))


def test_orbit_ring_walk():
    cams = orbit([0, 0, 0], radius=10, height=3, n=8)
    assert len(cams) == 8
    for c in cams:
        assert abs(float(torch.linalg.norm(c.position[[0, 2]])) - 10) < 1e-9
        u, v, _ = project(c, [0.0, 0.0, 0.0])
        assert abs(u - c.cx) < 1e-6 and abs(v - c.cy) < 1e-6
    r = ring([1.0, 1.6, 2.0], n=4)
    assert all(torch.allclose(c.position, torch.tensor([1.0, 1.6, 2.0], dtype=torch.float64)) for c in r)
    fwd = torch.stack([c.T_world_camera[:3, 2] for c in r])
    assert torch.allclose(fwd.sum(0), torch.zeros(3, dtype=torch.float64), atol=1e-9)  # they look all around
    w = walk([[0, 0, 0], [0, 0, 10]], n=5, eye_height=1.6)
    assert [round(float(c.position[2]), 6) for c in w] == [0.0, 2.5, 5.0, 7.5, 10.0]
    assert all(abs(float(c.position[1]) - 1.6) < 1e-9 for c in w)
    with pytest.raises(InputError):
        walk([[0, 0, 0]], n=3)


def test_ray_directions_and_stack():
    cam = Camera.from_fov(fov_y_deg=90, width=4, height=2)
    d = cam.ray_directions()
    assert d.shape == (2, 4, 3)
    assert torch.allclose(d.norm(dim=-1), torch.ones(2, 4))
    viewmats, Ks = stack_cameras([cam, cam.resized(8, 4)])
    assert viewmats.shape == (2, 4, 4) and Ks.shape == (2, 3, 3)
    assert Ks[1, 0, 0] == 2 * Ks[0, 0, 0]
    assert math.isclose(cam.fov_y_deg, 90.0)
    with pytest.raises(InputError):
        stack_cameras([])


def test_look_at_straight_down_is_finite():
    T = look_at_pose([0, 10, 0], [0, 0, 0])
    assert torch.isfinite(T).all()
    assert torch.allclose(T[:3, :3] @ T[:3, :3].T, torch.eye(3, dtype=torch.float64), atol=1e-9)


def test_camera_dict_roundtrip():
    cam = Camera.look_at([1, 2, 3], [0, 0, 0], name="x")
    assert Camera.from_dict(cam.to_dict()).to_dict() == cam.to_dict()
