"""The classic codecs pcz is measured against, each with its settings and library version.

Settings are the ones the usual published figures use: ``gzip -9`` (a .gz
stream without file name), ``bzip2 -9``, ``xz -9e`` (preset 9 | extreme, .xz
container), ``zstd -19``, ``brotli -11``, PPMd var. I order 6 with 16 MiB
(pyppmd's defaults), zpaq method 5; for images PNG (Pillow, optimize), WebP
lossless (method 6), JPEG-XL lossless (effort 7 and 9), JPEG-LS and
JPEG 2000 reversible 5/3 (J2K codestream).  A codec whose library is missing
is reported as unavailable.

>>> codec = FACTORIES["xz-9e"]()
>>> codec.description.startswith("xz -9e")
True
>>> item = np.frombuffer(b"abc" * 100, dtype=np.uint8)
>>> bool((codec.decode(codec.encode(item), item.shape) == item).all())
True
"""
import bz2
import ctypes
import gzip
import io
import lzma
import zlib
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from pcz.bench.codec import ByteCodec, ImageCodec


def _c_version(module, symbol: str) -> str:
    """The version string a C library linked into an extension module reports."""
    try:
        func = getattr(ctypes.CDLL(module.__file__), symbol)
    except (OSError, AttributeError):
        return "version unknown"
    func.restype = ctypes.c_char_p
    return func().decode().split(",")[0]


def _pkg(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "version unknown"


def gzip9():
    return ByteCodec("gzip-9", f"gzip -9: Python gzip, .gz stream without name (zlib {zlib.ZLIB_RUNTIME_VERSION})",
                     lambda b: gzip.compress(b, 9, mtime=0), gzip.decompress)


def bzip2_9():
    import _bz2
    return ByteCodec("bzip2-9", f"bzip2 -9: Python bz2 (libbzip2 {_c_version(_bz2, 'BZ2_bzlibVersion')})",
                     lambda b: bz2.compress(b, 9), bz2.decompress)


def xz9e():
    import _lzma
    return ByteCodec("xz-9e", f"xz -9e: Python lzma, preset 9|EXTREME, .xz container "
                              f"(liblzma {_c_version(_lzma, 'lzma_version_string')})",
                     lambda b: lzma.compress(b, preset=9 | lzma.PRESET_EXTREME), lzma.decompress)


def _zstd(level: int):
    import zstandard
    compressor = zstandard.ZstdCompressor(level=level, write_content_size=True)
    decompressor = zstandard.ZstdDecompressor()
    lib = ".".join(map(str, zstandard.ZSTD_VERSION))
    return ByteCodec(f"zstd-{level}", f"zstd -{level}: zstandard {zstandard.__version__} (libzstd {lib})",
                     compressor.compress, decompressor.decompress)


def zstd19():
    return _zstd(19)


def zstd1():
    return _zstd(1)


def zstd3():
    return _zstd(3)


def xz6():
    import _lzma
    return ByteCodec("xz-6", f"xz -6: Python lzma, preset 6, .xz container "
                             f"(liblzma {_c_version(_lzma, 'lzma_version_string')})",
                     lambda b: lzma.compress(b, preset=6), lzma.decompress)


def brotli11():
    import brotli
    return ByteCodec("brotli-11", f"brotli -q 11 (window 22): brotli {brotli.__version__}",
                     lambda b: brotli.compress(b, quality=11), brotli.decompress)


def ppmd6():
    import pyppmd
    return ByteCodec("ppmd-o6", f"PPMd var. I, order 6, 16 MiB, end mark: pyppmd {_pkg('pyppmd')}",
                     lambda b: pyppmd.compress(b, max_order=6, mem_size=16 << 20),
                     lambda b: pyppmd.decompress(b, max_order=6, mem_size=16 << 20))


def zpaq5():
    import zpaq
    return ByteCodec("zpaq-m5", f"zpaq method 5 (libzpaq): zpaq {_pkg('zpaq')}",
                     lambda b: zpaq.compress(b, level=5), zpaq.decompress)


def _pillow(fmt: str, **options):
    from PIL import Image

    def compress(image: np.ndarray) -> bytes:
        out = io.BytesIO()
        Image.fromarray(image).save(out, fmt, **options)
        return out.getvalue()

    def decompress(blob: bytes) -> np.ndarray:
        with Image.open(io.BytesIO(blob)) as image:
            return np.asarray(image)
    return compress, decompress


def png():
    from PIL import __version__ as pillow, features
    return ImageCodec("png", f"PNG, optimize: Pillow {pillow} (zlib {features.version('zlib')})",
                      *_pillow("PNG", optimize=True))


def webp():
    from PIL import __version__ as pillow, features
    if not features.check("webp"):
        raise ImportError("Pillow was built without WebP")
    return ImageCodec("webp", f"WebP lossless, method 6: Pillow {pillow} (libwebp {features.version('webp')})",
                      *_pillow("WEBP", lossless=True, quality=100, method=6))


def _imagecodecs(name: str, codec: str, label: str, **options):
    import imagecodecs
    if not getattr(imagecodecs, codec.upper()).available:
        raise ImportError(f"imagecodecs was built without {codec}")
    encode, decode = getattr(imagecodecs, codec + "_encode"), getattr(imagecodecs, codec + "_decode")
    lib = getattr(imagecodecs, codec + "_version")()
    return ImageCodec(name, f"{label}: imagecodecs {imagecodecs.__version__} ({lib})",
                      lambda image: encode(image, **options), decode)


def jxl_e7():
    return _imagecodecs("jxl-e7", "jpegxl", "JPEG-XL lossless, effort 7", lossless=True, effort=7)


def jxl_e9():
    return _imagecodecs("jxl-e9", "jpegxl", "JPEG-XL lossless, effort 9", lossless=True, effort=9)


def jpegls():
    return _imagecodecs("jpeg-ls", "jpegls", "JPEG-LS lossless")


def jpeg2000():
    return _imagecodecs("jpeg2000", "jpeg2k", "JPEG 2000 reversible 5/3, J2K codestream",
                        level=0, reversible=True, codecformat="J2K")


# Name -> factory (raises ImportError when the library is missing); the name is the codec's name.
FACTORIES = {"png": png, "webp": webp, "jxl-e7": jxl_e7, "jxl-e9": jxl_e9, "jpeg-ls": jpegls,
             "jpeg2000": jpeg2000, "gzip-9": gzip9, "bzip2-9": bzip2_9, "xz-9e": xz9e,
             "zstd-19": zstd19, "brotli-11": brotli11, "ppmd-o6": ppmd6, "zpaq-m5": zpaq5}
# The fast and default settings beside them, for `pcz bench --speed` (pcz.bench.speed) only.
SPEED_FACTORIES = {**FACTORIES, "zstd-1": zstd1, "zstd-3": zstd3, "xz-6": xz6}
