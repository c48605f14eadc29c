"""Demo labels and documents: a dozen customers get a letter (text), a contract (a one-page
PDF) or a site photo (a PNG), made in code at seed time and written through the storage as
core's files, one contract with a second version, so the demo's Files tab downloads. Labels
only when the seeding has no storage at hand."""

import io
import random
from datetime import timedelta

from PIL import Image
from sqlalchemy import insert, select

from core.demo import BASE
from core.files import seed_file
from core.models import Worker
from plugins.documents.models import Document, DocumentLabel, DocumentLabelLink, DocumentVersion
from plugins.documents.queries import fold

LABELS = (
    ("Contract", "#2563eb"),
    ("Invoice", "#16a34a"),
    ("ID document", "#dc2626"),
    ("Correspondence", "#9333ea"),
    ("Photo", "#ea580c"),
)
CUSTOMERS = 12


def letter(title: str) -> bytes:
    return f"{title}\n\nThank you for choosing Demo Clinic & Co.\n".encode()


def pdf(title: str) -> bytes:
    """A one-page PDF with its title, offsets worked out (readers check the xref)."""
    text = f"BT /F1 18 Tf 72 720 Td ({title}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (6, xref))
    return out.getvalue()


def photo(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), ((seed * 53) % 256, (seed * 97) % 256, 160)).save(out, "PNG")
    return out.getvalue()


KINDS = (  # title, file name, content type, make, label
    (
        "Welcome letter",
        "welcome-letter.txt",
        "text/plain",
        lambda t, n: letter(t),
        "Correspondence",
    ),
    (
        "Service contract",
        "service-contract.pdf",
        "application/pdf",
        lambda t, n: pdf(t),
        "Contract",
    ),
    ("Site photo", "site-photo.png", "image/png", lambda t, n: photo(n), "Photo"),
)


async def seed(session, tenant_id: int, customer_ids: list[int], seed: int, storage) -> None:
    rows = [
        dict(tenant_id=tenant_id, name=name, name_key=name.casefold(), color=color, created_at=BASE)
        for name, color in LABELS
    ]
    labels = dict(
        (
            await session.execute(
                insert(DocumentLabel).returning(DocumentLabel.name, DocumentLabel.id), rows
            )
        ).all()
    )
    if storage is None or not customer_ids:
        return
    rng = random.Random(seed * 7919 + 13)
    query = select(Worker.id).where(Worker.tenant_id == tenant_id).order_by(Worker.id)
    workers = list(await session.scalars(query))
    chosen = rng.sample(customer_ids, k=min(CUSTOMERS, len(customer_ids)))
    for n, customer_id in enumerate(chosen):
        for title, name, content_type, make, label in rng.sample(KINDS, k=rng.randint(1, 3)):
            at = BASE - timedelta(days=rng.randint(2, 200), minutes=rng.randint(0, 600))
            by = rng.choice(workers) if workers else None
            versions = 2 if content_type == "application/pdf" and n == 0 else 1
            files = []
            for version in range(versions):
                made = (tenant_id, customer_id, name, content_type)
                data = make(f"{title} v{version + 1}", n)
                files.append(
                    await seed_file(session, storage, made, data, at + timedelta(days=version))
                )
            latest = at + timedelta(days=versions - 1)
            document_id = (
                await session.execute(
                    insert(Document)
                    .values(
                        tenant_id=tenant_id,
                        customer_id=customer_id,
                        title=title,
                        search_key=fold(title),
                        file_id=files[-1],
                        version_count=versions,
                        created_by=by,
                        created_at=at,
                        updated_at=latest,
                        latest_at=latest,
                        latest_by=by,
                    )
                    .returning(Document.id)
                )
            ).scalar_one()
            await session.execute(
                insert(DocumentVersion),
                [
                    dict(
                        tenant_id=tenant_id,
                        document_id=document_id,
                        number=number + 1,
                        file_id=file_id,
                        added_by=by,
                        created_at=at + timedelta(days=number),
                    )
                    for number, file_id in enumerate(files)
                ],
            )
            await session.execute(
                insert(DocumentLabelLink).values(
                    document_id=document_id, label_id=labels[label], tenant_id=tenant_id
                )
            )
