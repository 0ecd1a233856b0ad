// The loop of Strata's one-token INT8 pass (VectorQuantKernels.rowDot4Int8) written in C with AVX-512 intrinsics:
// unsigned codes masked in place in 32-bit lanes (p & 0xFF << 8k = q * 2^8k), x permuted and pre-scaled to match, two
// partial sums per row, four rows a quarter of the range apart, one scale per group of 64. No zero-point terms and no
// lane sums in order: it times the loop alone, to set beside the Java kernel's loop (scratch, not a kernel of Strata).
// gcc -O2 -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma strata_order_int8.c -o strata_order_int8 -lm; ./strata_order_int8 4096
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <time.h>
#define COLS 2048
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
// Strata's int8 pass: unsigned codes masked in place in 32-bit lanes, x permuted and pre-scaled
static void mask(const uint8_t*w,const float*s,const float*xp,float*y,int rows){
  int Q=rows/4, G=COLS/64;
  for(int r=0;r<Q;r++){
    const uint8_t*w0=w+(size_t)r*COLS,*w1=w0+(size_t)Q*COLS,*w2=w1+(size_t)Q*COLS,*w3=w2+(size_t)Q*COLS;
    __m512 A0=_mm512_setzero_ps(),A1=A0,A2=A0,A3=A0;
    for(int c=0,g=0;c<COLS;c+=64,g++){
      __m512i p0=_mm512_loadu_si512(w0+c),p1=_mm512_loadu_si512(w1+c),p2=_mm512_loadu_si512(w2+c),p3=_mm512_loadu_si512(w3+c);
      const float*xo=xp+c;
      __m512 x=_mm512_loadu_ps(xo); __m512i m=_mm512_set1_epi32(255);
#define CV(p,m) _mm512_cvtepi32_ps(_mm512_and_si512(p,m))
      __m512 a0=_mm512_mul_ps(CV(p0,m),x),b0=_mm512_mul_ps(CV(p1,m),x),c0=_mm512_mul_ps(CV(p2,m),x),d0=_mm512_mul_ps(CV(p3,m),x);
      x=_mm512_loadu_ps(xo+16); m=_mm512_set1_epi32(255<<8);
      __m512 a1=_mm512_mul_ps(CV(p0,m),x),b1=_mm512_mul_ps(CV(p1,m),x),c1=_mm512_mul_ps(CV(p2,m),x),d1=_mm512_mul_ps(CV(p3,m),x);
      x=_mm512_loadu_ps(xo+32); m=_mm512_set1_epi32(255<<16);
      a0=_mm512_fmadd_ps(CV(p0,m),x,a0);b0=_mm512_fmadd_ps(CV(p1,m),x,b0);c0=_mm512_fmadd_ps(CV(p2,m),x,c0);d0=_mm512_fmadd_ps(CV(p3,m),x,d0);
      x=_mm512_loadu_ps(xo+48);
#define SH(p) _mm512_cvtepi32_ps(_mm512_srli_epi32(p,24))
      a1=_mm512_fmadd_ps(SH(p0),x,a1);b1=_mm512_fmadd_ps(SH(p1),x,b1);c1=_mm512_fmadd_ps(SH(p2),x,c1);d1=_mm512_fmadd_ps(SH(p3),x,d1);
      A0=_mm512_fmadd_ps(_mm512_add_ps(a0,a1),_mm512_set1_ps(s[(size_t)r*G+g]),A0);
      A1=_mm512_fmadd_ps(_mm512_add_ps(b0,b1),_mm512_set1_ps(s[(size_t)(r+Q)*G+g]),A1);
      A2=_mm512_fmadd_ps(_mm512_add_ps(c0,c1),_mm512_set1_ps(s[(size_t)(r+2*Q)*G+g]),A2);
      A3=_mm512_fmadd_ps(_mm512_add_ps(d0,d1),_mm512_set1_ps(s[(size_t)(r+3*Q)*G+g]),A3);
    }
    y[r]=_mm512_reduce_add_ps(A0);y[r+Q]=_mm512_reduce_add_ps(A1);y[r+2*Q]=_mm512_reduce_add_ps(A2);y[r+3*Q]=_mm512_reduce_add_ps(A3);
  }
}
int main(int argc,char**argv){
  int rows=argc>1?atoi(argv[1]):4096; size_t n=(size_t)rows*COLS;
  uint8_t*w=aligned_alloc(64,n); float*s=aligned_alloc(64,rows*32*4),*y=aligned_alloc(64,rows*4),xp[COLS];
  for(size_t i=0;i<n;i++)w[i]=rand();
  for(int i=0;i<rows*32;i++)s[i]=0.01f*(1+rand()%7);
  for(int i=0;i<COLS;i++)xp[i]=(rand()%1000-500)*1e-3f*((i%64)<16?1:(i%64)<32?1/256.f:(i%64)<48?1/65536.f:1);
  for(int pass=0;pass<3;pass++){
    double best=1e9; for(int k=0;k<5;k++){ int it=0; double t0=now(),t; do{ mask(w,s,xp,y,rows); it++; t=now(); }while(t-t0<0.2); best=fmin(best,(t-t0)/it);}
    printf("int8 [%d, %d], codes masked in place, one thread: %.2f G multiply-adds/s (fastest of 5 runs of 0.2 s)\n", rows, COLS, n/best/1e9);
  }
}
