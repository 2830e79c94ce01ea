package io.funnel.ann;

/** How {@link HnswVectorIndex} stores the vectors it traverses the graph with. */
public enum Quantization {
    /** Full float32 vectors only; traversal computes exact scores. */
    NONE,
    /**
     * An extra int8 copy of every vector (one global scale, 1/4 of the float bytes). Traversal scores the int8 codes;
     * the candidates of the final beam are re-scored exactly from the float32 vectors before the top k are returned.
     */
    INT8
}
