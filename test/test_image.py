"""autogpt_ros.image: the cv_bridge API, checked against rosbags-image."""
import numpy as np
import pytest
from rosbags.image import message_to_cvimage
from sensor_msgs.msg import Image

from autogpt_ros import image as im

CASES = [
    ("rgb8", np.uint8, 3),
    ("bgr8", np.uint8, 3),
    ("rgba8", np.uint8, 4),
    ("bgra8", np.uint8, 4),
    ("mono8", np.uint8, 1),
    ("mono16", np.uint16, 1),
    ("16UC1", np.uint16, 1),
    ("32FC1", np.float32, 1),
    ("8UC3", np.uint8, 3),
    ("16SC1", np.int16, 1),
    ("64FC1", np.float64, 1),
]


def sample(dtype, c, h=7, w=5, seed=0):
    rng = np.random.default_rng(seed)
    shape = (h, w) if c == 1 else (h, w, c)
    if np.issubdtype(dtype, np.floating):
        return rng.normal(0, 100, shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("encoding,dtype,c", CASES)
def test_round_trip_every_encoding(encoding, dtype, c):
    a = sample(dtype, c)
    msg = im.cv2_to_imgmsg(a, encoding)
    assert isinstance(msg, Image)
    assert (msg.height, msg.width, msg.encoding) == (7, 5, encoding)
    assert msg.step == 5 * c * np.dtype(dtype).itemsize
    back = im.imgmsg_to_cv2(msg)
    assert back.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(back, a)
    # the independent decoder agrees
    np.testing.assert_array_equal(np.asarray(message_to_cvimage(msg)), a)


def test_decoding_is_zero_copy_for_plain_layout():
    a = sample(np.uint8, 3, 4, 4)
    msg = im.cv2_to_imgmsg(a, "rgb8")
    view = im.imgmsg_to_cv2(msg)
    assert not view.flags.owndata  # a view on the message buffer


def test_row_padding_is_removed():
    a = sample(np.uint16, 1, 3, 5)
    padded = np.zeros((3, 16), np.uint8)  # step 16 bytes for 10 bytes of pixels
    padded[:, :10] = a.view(np.uint8).reshape(3, 10)
    msg = Image(height=3, width=5, encoding="16UC1", step=16, is_bigendian=0)
    msg.data = padded.tobytes()
    np.testing.assert_array_equal(im.imgmsg_to_cv2(msg), a)


def test_big_endian_data():
    a = sample(np.float32, 1, 4, 3)
    msg = Image(height=4, width=3, encoding="32FC1", step=12, is_bigendian=1)
    msg.data = a.astype(">f4").tobytes()
    out = im.imgmsg_to_cv2(msg)
    np.testing.assert_array_equal(out, a)
    np.testing.assert_array_equal(np.asarray(message_to_cvimage(msg)), a)


def test_colour_conversions_match_rosbags():
    a = sample(np.uint8, 3, 6, 6)
    msg = im.cv2_to_imgmsg(a, "rgb8")
    np.testing.assert_array_equal(im.imgmsg_to_cv2(msg, "bgr8"), a[:, :, ::-1])
    np.testing.assert_array_equal(im.imgmsg_to_cv2(msg, "bgr8"), message_to_cvimage(msg, "bgr8"))
    rgba = im.imgmsg_to_cv2(msg, "rgba8")
    assert rgba.shape == (6, 6, 4) and (rgba[:, :, 3] == 255).all()
    mono = im.imgmsg_to_cv2(msg, "mono8")
    assert mono.shape == (6, 6) and mono.dtype == np.uint8
    assert np.abs(mono.astype(int) - message_to_cvimage(msg, "mono8").astype(int)).max() <= 1


def test_unknown_encoding_is_a_clear_error():
    msg = Image(height=2, width=2, encoding="yuv422_yuy2", step=4)
    msg.data = bytes(8)
    with pytest.raises(im.CvBridgeError, match="unsupported image encoding 'yuv422_yuy2'"):
        im.imgmsg_to_cv2(msg)


def test_size_mismatch_is_a_clear_error():
    msg = Image(height=10, width=10, encoding="rgb8", step=30)
    msg.data = bytes(100)
    with pytest.raises(im.CvBridgeError, match="data has 100 bytes"):
        im.imgmsg_to_cv2(msg)
    zero = Image(height=0, width=10, encoding="rgb8", step=30)
    with pytest.raises(im.CvBridgeError, match="zero size"):
        im.imgmsg_to_cv2(zero)
    with pytest.raises(im.CvBridgeError, match="step"):
        im.imgmsg_to_cv2(Image(height=2, width=4, encoding="rgb8", step=5, data=bytes(40)))


def test_encode_rejects_wrong_arrays():
    with pytest.raises(im.CvBridgeError, match="channels"):
        im.cv2_to_imgmsg(np.zeros((2, 2, 3), np.uint8), "mono8")
    with pytest.raises(im.CvBridgeError, match="dtype"):
        im.cv2_to_imgmsg(np.zeros((2, 2), np.float64), "32FC1")
    with pytest.raises(im.CvBridgeError, match="non-empty"):
        im.cv2_to_imgmsg(np.zeros((0, 2), np.uint8), "mono8")
    # passthrough picks the generic encoding
    assert im.cv2_to_imgmsg(np.zeros((2, 2), np.float32)).encoding == "32FC1"
