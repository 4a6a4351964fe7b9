"""Finding the procedure guide a citizen asks about: dense (sentence-transformers + FAISS)
fused with lexical BM25, with a calibrated score in [0, 1]."""
