"""Train page: train a model from a preset or your own text, watch it learn, keep it.

The run is a background job (:mod:`lstm_viz.training.jobs`) built from a :class:`~lstm_viz.training.runspec.RunSpec`,
the same specification the command line uses; this page starts it, polls its snapshot from a
fragment that reruns every second, and stops it. Finished models join the model list of every
page. Your models can be downloaded as a zip or deleted, and a model trained elsewhere can be
uploaded (:mod:`lstm_viz.store.usermodels`).
"""

from functools import partial

import streamlit as st

from lstm_viz.data.upload import decode_corpus, vocabulary
from lstm_viz.plots import training
from lstm_viz.store import examples, usermodels
from lstm_viz.training import jobs, presets, runspec
from lstm_viz.training.runspec import RunSpec
from lstm_viz.ui import cache, owners, pages, state, training_run

OWN_TEXT = "Your own text"
HIDDEN_SIZES = [32, 64, 128, 256, 512]
POLL_SECONDS = 1.0
SMALL_TEXT = 2_000  # below this, a character model learns little beyond the commonest letters: say so
SMALL_SEQ_LEN = 64  # training windows for a small text (the default 128 needs at least 258 characters)

st.title("Train a model")
st.caption(
    f"Device: **{jobs.device_label()}** · at most {jobs.max_jobs()} training runs at once on this server. "
    "The run goes on in the background if you open another page."
)
manager = jobs.manager()
session_id = training_run.training_run_id(lambda run_id: manager.get(run_id) is not None)  # ?run=… survives a reload
state.show_notices()


def _read(raw: bytes, source: str) -> str | None:
    """Decoded text of an upload or a paste, with its notices on the page; None (with the reason) if unusable."""
    try:
        text, notices = decode_corpus(raw)
    except ValueError as err:
        st.error(f"{source}: {err}", icon="🚫")
        return None
    for notice in notices:
        st.warning(notice, icon="✂️")
    return text


def corpus_panel() -> tuple[str, str] | None:
    """The text to train on (uploaded or pasted), decoded, with its notices and vocabulary; None until usable."""
    upload_tab, paste_tab = st.tabs(["Upload a file", "Paste text"])
    with upload_tab:
        upload = st.file_uploader(
            "A plain-text file (song lyrics, code, a novel…)",
            key="train_corpus",
            help="UTF-8, UTF-16 or Windows-1252",
        )
    with paste_tab:
        pasted = st.text_area("Your text", key="train_paste", height=180, placeholder="Paste a text to learn from")
    if upload is not None:
        text, name = _read(upload.getvalue(), upload.name), upload.name
    elif pasted.strip():
        text, name = _read(pasted.encode("utf-8"), "The pasted text"), "pasted.txt"
    else:
        st.info("Upload a text file or paste a text to train a character model on it.", icon="📄")
        return None
    if text is None:
        return None
    if len(text) < SMALL_TEXT:
        st.warning(
            f"This text is short ({len(text):,} characters). A model of it can learn which letters are common and a "
            "few frequent pairs, and will mostly repeat bits of the text; from a few thousand characters on it starts "
            "to learn words.",
            icon="🔎",
        )
    chars, counts = vocabulary(text)
    st.markdown(f"**{len(text):,} characters; the model's vocabulary has {len(chars)} characters:**")
    st.code(training.vocabulary_text(chars), language=None, wrap_lines=True)
    st.plotly_chart(training.vocabulary_bars(chars, counts), key="train_vocab_chart")
    return text, name


def suggest_name(base: str) -> str:
    """``base``, or ``base-2``, ``base-3``… : the first name no model has yet."""
    for n in range(1, 1000):
        name = base if n == 1 else f"{base}-{n}"
        try:
            return runspec.check_new_name(name)
        except ValueError:
            continue
    return base


def setup_form() -> None:
    """Choose what and how long to train, then Start."""
    choice = st.selectbox(
        "Train on",
        [*presets.names(), OWN_TEXT],
        key="train_source",
        format_func=lambda n: n if n == OWN_TEXT else presets.get(n).title,
    )
    corpus = None
    if choice == OWN_TEXT:
        corpus = corpus_panel()
        stem = corpus[1].rsplit(".", 1)[0] if corpus else "my-text"
        default_name = f"{''.join(c if c.isalnum() or c in '-_' else '-' for c in stem)[:50] or 'my-text'}-char"
    else:
        st.caption(presets.get(choice).description)
        default_name = f"my-{choice}"
    left, right = st.columns(2)
    with left:
        if st.session_state.get("train_name_for") != default_name:  # a new source: suggest a free name
            st.session_state["train_name_for"] = default_name
            st.session_state["train_name"] = suggest_name(default_name)
        name = st.text_input("Name of the new model", key="train_name", max_chars=64).strip()
        try:
            runspec.check_new_name(name)
            clash = None
        except ValueError as err:
            clash = str(err)
            st.error(clash, icon="🚫")
        layers = st.number_input("Layers", min_value=1, max_value=3, value=1, key="train_layers")
        hidden = st.select_slider("Hidden size (units per layer)", HIDDEN_SIZES, value=128, key="train_hidden")
    with right:
        budget = st.radio("Train for", ["minutes", "steps"], horizontal=True, key="train_budget")
        if budget == "minutes":
            minutes = st.number_input("Minutes", 0.25, 60.0, 2.0, step=0.25, key="train_minutes")
            steps = None
        else:
            steps = st.number_input("Steps", 10, 20000, 300, step=10, key="train_steps")
            minutes = None
    blocked = (choice == OWN_TEXT and not corpus) or clash is not None
    if not st.button("Start training", type="primary", key="train_start", disabled=blocked):
        return
    overrides = {
        "num_layers": int(layers),
        "hidden_size": int(hidden),
        "steps": int(steps) if steps else None,
        "minutes": float(minutes) if minutes else None,
        "eval_every": jobs.eval_interval(int(steps) if steps else None, jobs.device_label().startswith("GPU")),
    }
    if corpus and len(corpus[0]) < SMALL_TEXT:
        overrides["seq_len"] = SMALL_SEQ_LEN
    try:
        if corpus:
            spec = RunSpec(name, corpus_text=corpus[0], corpus_name=corpus[1], overrides=overrides)
        else:
            spec = RunSpec(name, preset=choice, overrides=overrides)
        job = manager.start(session_id, spec)
        owners.claim(job.out_dir)  # yours (and your class's): other visitors see it only if you share it
    except jobs.BusyError as err:
        st.warning(f"Busy, try again: {err}.", icon="⏳")
        return
    except ValueError as err:
        st.error(str(err), icon="🚫")
        return
    st.rerun()


def progress_panel(snap: jobs.Snapshot) -> None:
    """Progress bar, numbers, loss curves and the latest sample of one job."""
    steps_text = f"step {snap.step:,}" + (f" of {snap.total_steps:,}" if snap.total_steps else "")
    status = {
        "preparing": f"Preparing: {snap.phase} ({jobs.format_duration(snap.elapsed)})",
        "running": "Training"
        if 0 < snap.progress < 1
        else ("Running the first steps…" if snap.step == 0 else "Final evaluation on the held-out text…"),
        "stopping": "Stopping: saving the weights…",
        "done": "Finished",
        "stopped": "Stopped",
        "failed": "Failed",
    }[snap.status]
    st.progress(min(max(snap.progress, 0.0), 1.0), text=f"**{snap.name}** · {status} · {steps_text}")
    cols = st.columns(4)
    cols[0].metric("Tokens per second", f"{snap.tokens_per_s:,.0f}")
    cols[1].metric("Time left", jobs.format_duration(snap.seconds_left) if snap.active else "–")
    cols[2].metric("Held-out loss", f"{snap.evals[-1][1]:.3f}" if snap.evals else "–")
    cols[3].metric("Elapsed", jobs.format_duration(snap.elapsed))
    if snap.device:
        st.caption(f"{snap.device} · {snap.num_parameters:,} parameters · {snap.description}")
    if snap.losses or snap.evals:
        unit = snap.metrics.get("val_loss_unit", "nats per token")
        st.plotly_chart(training.training_curves(*snap.curves(), unit=unit), key="train_curves")
    if snap.sample is not None:
        st.markdown(f"**Sample written by the model at step {snap.sample_step:,}:**")
        st.code(snap.sample, language=None, wrap_lines=True)


def job_panel() -> None:
    job = manager.get(session_id)
    if job is None:
        return
    snap = job.snapshot()
    progress_panel(snap)
    if snap.active:
        if st.button("Stop", key="train_stop", disabled=snap.status == "stopping", help="Keeps the weights so far"):
            job.stop()
            st.rerun()
        return
    if st.session_state.get("train_seen_end") != id(job):
        st.session_state["train_seen_end"] = id(job)
        cache.refresh_models()  # the new model appears in every page's picker
        st.rerun()  # redraw the whole page once: model list below, no more polling
    if snap.status == "failed":
        st.error(f"The run failed: {snap.error}", icon="💥")
        if snap.saved:
            st.info("Its last good checkpoint was kept; find it under Your models.")
    else:
        what = "finished" if snap.status == "done" else "was stopped; the weights so far were saved"
        st.success(f"**{snap.name}** {what}. It is now in the model picker of your pages (share it under Your models "
                   "to show it to everyone).", icon="✅")  # fmt: skip
    if st.button("Train another model", key="train_again"):
        manager.forget(session_id)
        st.rerun()  # the page's next run takes the run id out of the URL


def your_models() -> None:
    st.subheader("Your models")
    mine = [m for m in cache.list_models() if not m.shipped and owners.is_mine(m.path)]
    if not mine:
        st.caption("Models you train or upload appear here and in your pages' model picker; share one to show it "
                   "to every visitor.")  # fmt: skip
        return
    busy = manager.training_names()
    for info in mine:
        metrics = info.card.get("metrics", {})
        loss = metrics.get("val_loss")
        detail = f"held-out loss {loss:.3f} {metrics.get('val_loss_unit', '')}" if isinstance(loss, float) else ""
        source = "uploaded" if "uploaded" in info.card else f"{info.card.get('training', {}).get('steps', '?')} steps"
        cols = st.columns([4, 1, 1, 1, 1])
        cols[0].markdown(f"**{info.name}** · {info.card.get('task')} · {source} · {detail}")
        cols[1].download_button(
            "Download zip",
            data=partial(usermodels.export_zip, info.name),
            file_name=f"{info.name}.zip",
            mime="application/zip",
            key=f"train_download_{info.name}",
            on_click="ignore",
        )
        if cols[2].button("Step through", key=f"train_open_{info.name}"):
            state.open_in(pages.STEP_THROUGH, info.name, examples.first_text(info.card))
        shared = owners.is_shared(info.path)
        who = "Everyone sees it" if shared else "Only you (and your class's teacher) see it"
        if cols[3].button("Unshare" if shared else "Share", key=f"train_share_{info.name}",
                          disabled=not owners.has_owner(info.path), help=who):  # fmt: skip
            owners.share(info.path, not shared)
            cache.refresh_models()
            st.rerun()
        if cols[4].button("Delete", key=f"train_delete_{info.name}", disabled=info.name in busy):
            try:
                usermodels.delete(info.name)
            except ValueError as err:
                st.error(str(err), icon="🚫")
                return
            cache.refresh_models()
            st.rerun()


def upload_model() -> None:
    st.subheader("Upload a model")
    st.caption(
        "A `.zip` holding `model.safetensors` and `card.json`, or those two files. Pickle files "
        "(`.pt`, `.pth`, `.bin`, `.pkl`) are refused: see the README for converting a PyTorch `nn.LSTM`."
    )
    files = st.file_uploader("Model files", accept_multiple_files=True, key="train_model_files")
    name = st.text_input("Name (optional; default: the card's name)", key="train_model_name", max_chars=64)
    if not st.button("Add to my models", key="train_model_install", disabled=not files):
        return
    try:
        info = usermodels.install(
            [(f.name, f.getvalue()) for f in files], name=name.strip() or None, owner=owners.claim
        )
    except ValueError as err:
        st.error(f"The model was not added: {err}", icon="🚫")
        return
    cache.refresh_models()
    st.success(f"Added **{info.name}**; it is now in the model picker of your pages (share it below to show it to "
               "everyone).", icon="✅")  # fmt: skip


current = manager.get(session_id)
training_run.show_run_in_url(None if current is None else session_id)
if current is None:
    setup_form()
else:
    active = current.snapshot().active
    st.fragment(job_panel, run_every=POLL_SECONDS if active else None)()
st.divider()
upload_model()
st.divider()
your_models()
