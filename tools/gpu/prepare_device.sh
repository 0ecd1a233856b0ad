#!/usr/bin/env bash
# Prepares .device/ for tools/gpu/run_cuda_checks.sh on the GPU machine (which has no JDK and no
# network): builds the reactor, copies the runtime jars, the test classes of the CUDA tests and the
# JUnit console launcher into .device/lib, and writes .device/jre.tar.xz (a jlink'd Java 25).
# Usage (repo root): tools/gpu/prepare_device.sh        Size: about 36 MiB (JRE 19, jars 15).
# The device call carries the tree and .device together under 64 MiB: the JMH jars stay behind
# and jcuda-natives is cut down to the driver binding (9.5 -> 0.5 MiB).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
junit_platform=${JUNIT_PLATFORM_VERSION:-1.14.1}   # JUnit Jupiter 5.14.x runs on platform 1.14.x
grep -qx '/.device/' .git/info/exclude 2>/dev/null || grep -qx '/.device/' "$(git rev-parse --git-path info/exclude)" 2>/dev/null \
  || echo '/.device/' >> "$(git rev-parse --git-path info/exclude)"

echo "== build (skipping tests; test classes are compiled)"
./mvnw -q -B -ntp -DskipTests install

echo "== .device/lib"
rm -rf .device/lib && mkdir -p .device/lib
tmp_lib=$(mktemp -d)
# The CLI's runtime class path holds every module (cli depends on bench, which holds the GPU benchmarks).
./mvnw -q -B -ntp -pl cli dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp_lib"
cp cli/target/strata-cli-*.jar "$tmp_lib/"
# Every runtime jar (the CLI runs there too) except the JMH harness and its dependencies.
for j in "$tmp_lib"/*.jar; do
  case $(basename "$j") in
    jmh-*|commons-math3-*|jopt-simple-*|jcuda-natives-*) ;;
    *) cp "$j" .device/lib/ ;;
  esac
done
rm -f .device/lib/*-sources.jar
# JCuda loads lib/libJCudaDriver-*.so from the classpath; the other natives (runtime, nvrtc, PTX
# compiler: 25 MB) are never loaded by the driver API.
natives=$(ls "$tmp_lib"/jcuda-natives-*-linux-x86_64.jar)
mkdir -p "$tmp_lib/n" && (cd "$tmp_lib/n" && unzip -q "$natives" 'lib/libJCudaDriver-*')
"$JAVA_HOME/bin/jar" cf .device/lib/jcuda-natives-driver-linux-x86_64.jar -C "$tmp_lib/n" lib
rm -rf "$tmp_lib"
# Test classes the GPU run needs, as directories: the jlink'd JRE has no zip filesystem provider,
# so the JUnit launcher can scan a directory for tests but not a jar.
rm -rf .device/test-classes && mkdir -p .device/test-classes
cp -r kernels-cuda/target/test-classes .device/test-classes/kernels-cuda
# The engine's CUDA backend tests: the backend test classes and the golden fixtures they read.
if [ -d engine-java/target/test-classes/io/strata/engine/backend/cuda ]; then
  mkdir -p .device/test-classes/engine-java/io/strata/engine
  cp -r engine-java/target/test-classes/io/strata/engine/backend .device/test-classes/engine-java/io/strata/engine/
  # CudaGoldenForwardTest runs the shared golden check of GoldenForwardTest.
  cp -r engine-java/target/test-classes/io/strata/engine/model .device/test-classes/engine-java/io/strata/engine/
  # RunMatchesReplayTest, CudaStoreTest and DenseQuantizationTest (in the CLI module: they pack with it): VRAM hits
  # against the replay of the run's own trace, the VRAM budget at its peak, FloE on the device, --dense weights expanded
  # to BF16 on the device.
  mkdir -p .device/test-classes/engine-java/io/strata/engine/store
  cp cli/target/test-classes/io/strata/engine/store/{RunMatchesReplayTest,CudaStoreTest,DenseQuantizationTest}*.class .device/test-classes/engine-java/io/strata/engine/store/
  [ -d engine-java/target/test-classes/golden ] && cp -r engine-java/target/test-classes/golden .device/test-classes/engine-java/
fi
./mvnw -q -B -ntp dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$junit_platform \
  -DoutputDirectory="$root/.device/lib"
# Model and test data are not needed by the CUDA checks.
rm -f .device/lib/*-sources.jar

echo "== .device/jre.tar.xz"
shared_jre=${STRATA_SHARED:-$root/../shared}/tools/device-jre.sh
[ -x "$shared_jre" ] || shared_jre=/work/shared/tools/device-jre.sh
if [ -x "$shared_jre" ]; then
  "$shared_jre" .device
else
  # Same recipe as shared/tools/device-jre.sh.
  tmp=$(mktemp -d)
  "$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector,java.logging,jdk.unsupported,java.management,jdk.management \
    --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$tmp/jre"
  tar -C "$tmp" -cJf .device/jre.tar.xz jre && rm -rf "$tmp"
fi
du -sh .device .device/lib .device/test-classes .device/jre.tar.xz
ls .device/lib | sed 's/^/  /'
