package io.funnel.codecs.binary;

/**
 * A decoded {@code Ack}: the server accepted a batch of events.
 *
 * @param accepted    number of events accepted (all of the batch)
 * @param logPosition durable log position after the batch, or -1 when the server keeps no durable log
 */
public record Ack(int accepted, long logPosition) {}
