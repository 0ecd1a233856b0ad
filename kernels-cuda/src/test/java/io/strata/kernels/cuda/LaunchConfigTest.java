// Launch geometry and shape checks (no GPU needed).
package io.strata.kernels.cuda;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.compression.DType;
import org.junit.jupiter.api.Test;

class LaunchConfigTest {
    @Test
    void matvecHasOneWarpPerRow() {
        assertEquals(1, LaunchConfig.matvecBlocks(1));
        assertEquals(1, LaunchConfig.matvecBlocks(8));
        assertEquals(2, LaunchConfig.matvecBlocks(9));
        assertEquals(26, LaunchConfig.matvecBlocks(207));
        assertEquals(1792, LaunchConfig.matvecBlocks(14336));
        assertThrows(IllegalArgumentException.class, () -> LaunchConfig.matvecBlocks(0));
    }

    @Test
    void downTransposedGridCoversColumnsAndRows() {
        // bf16: 256 threads x 8 columns = 2048 columns per block; 32 rows per block.
        assertArrayEquals(new int[] {2, 1}, LaunchConfig.downTransposedGrid(DType.BF16, 1, 4096));
        assertArrayEquals(new int[] {3, 2}, LaunchConfig.downTransposedGrid(DType.BF16, 33, 4098));
        assertArrayEquals(new int[] {1, 7}, LaunchConfig.downTransposedGrid(DType.F32, 207, 13));
        assertArrayEquals(new int[] {4, 1}, LaunchConfig.downTransposedGrid(DType.F32, 32, 4096));
    }

    @Test
    void elementwiseBlocksAreCapped() {
        assertEquals(1, LaunchConfig.elementwiseBlocks(1));
        assertEquals(17, LaunchConfig.elementwiseBlocks(4098));
        assertEquals(LaunchConfig.MAX_ELEMENTWISE_BLOCKS, LaunchConfig.elementwiseBlocks(1L << 40));
    }

    @Test
    void vectorPathNeedsWholeSixteenByteRows() {
        assertTrue(LaunchConfig.matvecVectorPath(DType.BF16, 4096));
        assertFalse(LaunchConfig.matvecVectorPath(DType.BF16, 4098));
        assertFalse(LaunchConfig.matvecVectorPath(DType.BF16, 4092));
        assertTrue(LaunchConfig.matvecVectorPath(DType.F32, 4092));
        assertFalse(LaunchConfig.matvecVectorPath(DType.F32, 13));
    }

    @Test
    void shapeChecksNameTheProblem() {
        var e = assertThrows(IllegalArgumentException.class, () -> LaunchConfig.checkQuantShape(4, 13, 100, "w_up"));
        assertTrue(e.getMessage().contains("w_up") && e.getMessage().contains("100"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LaunchConfig.checkQuantShape(3, 13, 64, "w"));
        assertThrows(IllegalArgumentException.class, () -> LaunchConfig.checkAttention(6, 4, 64));
        assertThrows(IllegalArgumentException.class, () -> LaunchConfig.checkAttention(8, 2, 257));
        LaunchConfig.checkAttention(32, 8, 128);
    }
}
