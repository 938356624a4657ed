"""Join a class: a student types the code on the projector (or opens its link) and a nickname, then answers
each question of the teacher's lesson on their own device and sees the class's answers at the reveal."""

import streamlit as st

from lstm_viz.ui import classmode

classmode.seat_from_link()
if classmode.seat() is None:
    st.title("Join a class")
    st.caption("Your teacher's screen shows a code and a QR code. No account is needed: only a nickname.")
    classmode.join_form()
else:
    classmode.student_stop()
