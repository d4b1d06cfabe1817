"""Where citizens' attachments are kept: a local folder, or any S3-compatible object store.

Both keep a file under the name of its content's hash (the same photo is kept once) and hand
it back as chunks; the media outbox step, the signed `/media/...` route and the staff console
use only `save` and `open`. OPDs never see the store: Aduan's own signed link is the only URL
they get, and Aduan streams the object to them.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from dispatch.media_links import MediaSettings

CHUNK = 64 * 1024
# What `save` names a file: its SHA-256 and a suffix. Anything else is not ours to serve.
NAME = re.compile(r"^[0-9a-f]{64}\.[a-z0-9]{2,5}$")


HEAD_ERRORS = {
    "404": "NoSuchBucket (404)",
    "403": "AccessDenied (403): are the keys allowed to use it?",
    "400": "BadRequest (400): is the region right?",
    "301": "PermanentRedirect (301): the bucket is in another region",
}


class StoreUnavailable(Exception):
    """The store could not be reached, or refused: the message says why, for the operator."""


@dataclass(frozen=True)
class StoredFile:
    """A kept file being read: its size and its bytes in chunks (the source closes at the end)."""

    size: int
    chunks: Iterator[bytes]


class MediaStore(Protocol):
    def save(self, data: bytes, suffix: str, content_type: str) -> str:
        """Keep `data`; its name. Raises StoreUnavailable."""
        ...

    def open(self, name: str) -> StoredFile | None:
        """A kept file by its name; None when there is none. Raises StoreUnavailable."""
        ...

    def check(self) -> None:
        """Raise StoreUnavailable when the store cannot be used as configured."""
        ...


class S3Settings(BaseModel):
    """The `media.s3:` section: the bucket, and the names of the variables holding the keys."""

    model_config = ConfigDict(extra="forbid")

    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    endpoint_url: str | None = Field(
        default=None,
        pattern=r"^https?://\S+$",
        description="the S3 API's URL (MinIO, a provider's); unset: Amazon S3 of the region",
    )
    region: str = Field(default="us-east-1", pattern=r"^[a-z0-9-]+$")
    prefix: str = Field(default="", pattern=r"^([A-Za-z0-9._-]+/)*$", description="e.g. media/")
    addressing_style: Literal["auto", "path", "virtual"] = Field(
        default="auto", description="MinIO and most self-hosted stores want path"
    )
    access_key_env: str = Field(default="ADUAN_S3_ACCESS_KEY_ID", pattern=r"^[A-Z_][A-Z0-9_]*$")
    secret_key_env: str = Field(default="ADUAN_S3_SECRET_ACCESS_KEY", pattern=r"^[A-Z_][A-Z0-9_]*$")
    timeout_seconds: float = Field(default=10, gt=0, le=300)


def _read(source: Any) -> Iterator[bytes]:
    try:
        while chunk := source.read(CHUNK):
            yield chunk
    finally:
        source.close()


class FolderStore:
    """Files in one local folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def save(self, data: bytes, suffix: str, content_type: str) -> str:
        name = hashlib.sha256(data).hexdigest() + suffix
        path = self.folder / name
        try:
            if not path.exists():
                self.folder.mkdir(parents=True, exist_ok=True)
                partial = self.folder / f".{name}.{secrets.token_hex(4)}.part"
                partial.write_bytes(data)
                partial.replace(path)  # a reader never sees half a file
        except OSError as exc:
            raise StoreUnavailable(f"media folder {self.folder}: {exc.strerror or exc}") from exc
        return name

    def open(self, name: str) -> StoredFile | None:
        if not NAME.fullmatch(name):
            return None
        try:
            source = (self.folder / name).open("rb")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreUnavailable(f"media folder {self.folder}: {exc.strerror or exc}") from exc
        return StoredFile(os.fstat(source.fileno()).st_size, _read(source))

    def check(self) -> None:
        if self.folder.exists() and not self.folder.is_dir():
            raise StoreUnavailable(f"media.folder {self.folder} is not a folder")


@dataclass(frozen=True)
class S3Keys:
    """The access key pair, read from the environment at start-up."""

    access_key: str | None
    secret_key: str | None


class S3Store:
    """Objects in one bucket of an S3-compatible store, under `prefix`.

    The client is made on first use (boto3 loads slowly; a folder deployment never pays it).
    The same code speaks to Amazon S3, MinIO or any other store: only `endpoint_url` differs.
    """

    def __init__(self, settings: S3Settings, keys: S3Keys) -> None:
        self.settings = settings
        self.keys = keys
        self._client: Any = None

    def _missing_keys(self) -> list[str]:
        named = {self.settings.access_key_env: self.keys.access_key,
                 self.settings.secret_key_env: self.keys.secret_key}  # fmt: skip
        return [name for name, value in named.items() if not value]

    def client(self) -> Any:
        missing = self._missing_keys()
        if missing:
            raise StoreUnavailable(f"media.store s3: set {' and '.join(missing)}")
        if self._client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                connect_timeout=self.settings.timeout_seconds,
                read_timeout=self.settings.timeout_seconds,
                retries={"max_attempts": 2, "mode": "standard"},  # the outbox retries the rest
                s3={"addressing_style": self.settings.addressing_style},
            )
            self._client = boto3.session.Session().client(
                "s3",
                endpoint_url=self.settings.endpoint_url,
                region_name=self.settings.region,
                aws_access_key_id=self.keys.access_key,
                aws_secret_access_key=self.keys.secret_key,
                config=config,
            )
        return self._client

    def _where(self) -> str:
        return f"bucket {self.settings.bucket!r} at {self.settings.endpoint_url or 'Amazon S3'}"

    def _unavailable(self, exc: Exception) -> StoreUnavailable:
        from botocore.exceptions import ClientError

        if isinstance(exc, ClientError):
            code = str(exc.response.get("Error", {}).get("Code", "error"))
            code = HEAD_ERRORS.get(code, code)  # a HEAD answer has no body to name it
            return StoreUnavailable(f"media.store s3: {self._where()} answered {code}")
        return StoreUnavailable(f"media.store s3: {self._where()}: {type(exc).__name__}")

    def save(self, data: bytes, suffix: str, content_type: str) -> str:
        name = hashlib.sha256(data).hexdigest() + suffix
        client = self.client()
        try:
            client.put_object(
                Bucket=self.settings.bucket,
                Key=self.settings.prefix + name,
                Body=data,
                ContentType=content_type,
                ContentMD5=base64.b64encode(hashlib.md5(data).digest()).decode(),  # intact
            )
        except Exception as exc:  # botocore's errors: connection, HTTP, the store's refusal
            raise self._unavailable(exc) from exc
        return name

    def open(self, name: str) -> StoredFile | None:
        if not NAME.fullmatch(name):
            return None
        client = self.client()
        try:
            answer = client.get_object(Bucket=self.settings.bucket, Key=self.settings.prefix + name)
        except client.exceptions.NoSuchKey:
            return None
        except Exception as exc:
            raise self._unavailable(exc) from exc
        return StoredFile(int(answer["ContentLength"]), _read(answer["Body"]))

    def check(self) -> None:
        client = self.client()
        try:
            client.head_bucket(Bucket=self.settings.bucket)
        except Exception as exc:
            raise self._unavailable(exc) from exc


def open_store(settings: MediaSettings, env: Mapping[str, str]) -> MediaStore:
    """The configured store; for S3, its keys from the variables the config names."""
    s3 = settings.s3
    if settings.store == "s3" and s3 is not None:  # MediaSettings requires the section
        keys = S3Keys(env.get(s3.access_key_env) or None, env.get(s3.secret_key_env) or None)
        return S3Store(s3, keys)
    return FolderStore(settings.folder)


def describe_store(settings: MediaSettings) -> str:
    """Where attachments go, for the operator: the folder, or the bucket and its endpoint."""
    s3 = settings.s3
    if settings.store == "s3" and s3 is not None:
        return f"s3 bucket {s3.bucket!r}{' under ' + s3.prefix if s3.prefix else ''} at " + (
            s3.endpoint_url or f"Amazon S3 ({s3.region})"
        )
    return f"folder {settings.folder}"
