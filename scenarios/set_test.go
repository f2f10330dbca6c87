package scenarios

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSetChangesOneKeyAndValidatesAgain(t *testing.T) {
	sc, err := Builtin("bfcm-peak")
	require.NoError(t, err)
	s2, err := sc.Set("netsuite.suitecloud_plus", "3")
	require.NoError(t, err)
	assert.Equal(t, 3, s2.Fakes.NetSuite.SuiteCloudPlus)
	assert.Equal(t, 45, s2.NetSuiteLimit())
	assert.Equal(t, 1, sc.Fakes.NetSuite.SuiteCloudPlus, "the original is untouched")

	s3, err := sc.Set("workers", "24") // sut.builtin.workers, absent from the file
	require.NoError(t, err)
	assert.Equal(t, 24, s3.SUT.Builtin.Workers)
	assert.Equal(t, 2, s3.SUT.Builtin.Replicas)

	s4, err := sc.Set("traffic.phases.1.constant.rate", "10")
	require.NoError(t, err)
	assert.Equal(t, 10.0, s4.Traffic.Phases[1].Constant.Rate.PerSecond)

	_, err = sc.Set("replicas", "99")
	assert.ErrorContains(t, err, "replicas 99")
	_, err = sc.Set("traffic.phases.7.constant.rate", "1")
	assert.ErrorIs(t, err, ErrKey)
	_, err = sc.Set("traffic.phases", "1")
	assert.ErrorIs(t, err, ErrKey)
	_, err = sc.Set("netsuite.tier.x", "1")
	assert.ErrorIs(t, err, ErrKey)
}

func TestKeyPath(t *testing.T) {
	assert.Equal(t, "fakes.netsuite.tier", strings.Join(KeyPath("netsuite.tier"), "."))
	assert.Equal(t, "sut.builtin.replicas", strings.Join(KeyPath("replicas"), "."))
	assert.Equal(t, "drain.timeout", strings.Join(KeyPath("drain.timeout"), "."))
}
