// Where the fast tier holds one expert: plain data a backend computes from.
package io.strata.tiering.fast;

/**
 * @param addresses   device address of each part the expert was admitted with (gate, up, down for a dense expert; the
 *                    blob for an encoded one); empty when the tier serves the host bytes in place (the CPU's resident set)
 * @param ready       what compute must wait for before it reads the parts (a CUDA event of the copy stream), or null
 * @param bytesCopied bytes this admission copied host → fast (0 for a hit or an in-place tier)
 */
public record FastSlot(long[] addresses, Object ready, long bytesCopied) {
    /** The CPU's resident set: the compute reads the host slot itself. */
    public static final FastSlot IN_PLACE = new FastSlot(new long[0], null, 0);

    public boolean inPlace() {
        return addresses.length == 0;
    }
}
